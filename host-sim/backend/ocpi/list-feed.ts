import type { PartnerList } from '../ocpi-tokens.js';
import type { SiteImage, SiteList } from '../site-list.js';
import type { PartnerTokens } from './partner-tokens.js';
import type { OcpiPartner } from './server.js';

/** A site whose list follows the partners' tokens, and what tells its devices. */
export interface FedSite {
  name: string;
  list: SiteList;
  /** The partners this site roams with. */
  partners: readonly OcpiPartner[];
  /** Tells the site's devices a new version is out (BackendPeer.announceList). */
  announce: () => void;
}

export interface ListFeedOptions {
  /**
   * How long changes are gathered before a site's list is compiled again, from
   * the first change after the last publish (later changes do not postpone it):
   * a burst of pushes becomes one version, and no change waits longer than this
   * plus one compile.
   */
  settleMs?: number;
  log?: (line: string) => void;
}

const key = (cc: string, pid: string) => `${cc.toUpperCase()}*${pid.toUpperCase()}`;

/**
 * Turns accepted token changes (OCPI push or pull) into new list versions: each
 * site carrying the changed partner is compiled again (the SiteList signs the
 * image and the differential from the version before, or leaves a full image
 * when the change is past the differential bound) and its devices are told.
 */
export class ListFeed {
  private readonly dirty = new Set<FedSite>();
  private timer?: ReturnType<typeof setTimeout>;
  private readonly settleMs: number;
  /** When the oldest change not yet published was accepted (ms), for the latency figure. */
  private firstChangeAt?: number;
  lastPublish?: { site: string; version: number; changeToPublishMs: number };
  publishes = 0;

  constructor(private readonly tokens: PartnerTokens, private readonly sites: FedSite[], o: ListFeedOptions = {}) {
    this.settleMs = o.settleMs ?? 500;
    this.log = o.log ?? (() => {});
    tokens.onChange = (cc, pid) => this.changed(cc, pid);
  }

  private readonly log: (line: string) => void;

  private changed(cc: string, pid: string): void {
    const k = key(cc, pid);
    for (const s of this.sites) if (s.partners.some((p) => key(p.countryCode, p.partyId) === k)) this.dirty.add(s);
    if (this.dirty.size === 0 || this.timer) return;
    this.firstChangeAt = Date.now();
    this.timer = setTimeout(() => this.publishNow(), this.settleMs);
  }

  /** The partner lists a site compiles from, from the tokens held now. */
  partnerLists(site: FedSite): PartnerList[] {
    return site.partners.map((p) => ({ countryCode: p.countryCode, partyId: p.partyId, allowedUsesTable: p.allowedUsesTable ?? true, tokens: this.tokens.list(p.countryCode, p.partyId) }));
  }

  /**
   * At start: publishes each site whose list in force was not compiled from the
   * tokens held now (changes accepted, then the process stopped before they
   * were published), or that has no list yet. Returns the sites published.
   */
  catchUp(): string[] {
    const fingerprint = (lists: readonly PartnerList[]) => lists.map((p) => `${p.countryCode}*${p.partyId}*${p.allowedUsesTable}:${p.tokens.map((t) => JSON.stringify(t)).sort().join('\n')}`).join('\n\n');
    for (const s of this.sites) {
      const current = s.list.current;
      if (!current || fingerprint(current.partners) !== fingerprint(this.partnerLists(s))) this.dirty.add(s);
    }
    const names = [...this.dirty].map((s) => s.name);
    this.publishNow();
    return names;
  }

  /** Compiles and announces every site with changes now; returns the images published. */
  publishNow(): SiteImage[] {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const out: SiteImage[] = [];
    for (const s of [...this.dirty]) {
      this.dirty.delete(s);
      const image = s.list.publish(this.partnerLists(s));
      s.announce();
      this.publishes++;
      this.lastPublish = { site: s.name, version: image.version, changeToPublishMs: this.firstChangeAt === undefined ? 0 : Date.now() - this.firstChangeAt };
      this.log(`${s.name}: list v${image.version} (${image.tokens} tokens) ${s.list.diffFrom(image.version - 1) ? 'with a differential' : 'as a full image'}`);
      out.push(image);
    }
    this.firstChangeAt = undefined;
    return out;
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
