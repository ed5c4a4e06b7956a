import type { OcpiToken } from '../ocpi-tokens.js';
import { parseOcpiDateTime } from './envelope.js';

/** Where tokens are kept between runs (the backend database); absent = memory only. */
export interface TokenRepo {
  allTokens(): OcpiToken[];
  /** Writes the tokens in one transaction (committed when it returns). */
  putTokens(ts: OcpiToken[]): void;
}

export type TokenApplied = 'created' | 'updated' | 'unchanged' | 'stale';

const partnerKey = (cc: string, pid: string) => `${cc.toUpperCase()}*${pid.toUpperCase()}`;
// "The combination of uid and type should be unique for every token within the eMSP's system." (§12.3.2)
const tokenKey = (uid: string, type: string) => `${uid.toUpperCase()}|${type}`;

/**
 * Every partner's OCPI Tokens as the CPO holds them: by issuer (country_code,
 * party_id), then uid and type. An update whose last_updated is older than the
 * stored token's is never applied (a late retry or a slow pull must not undo a
 * newer push); one with the same or a newer last_updated is. Applied changes are
 * written to the repo together, once per turn of the event loop (one commit for
 * every request in flight); `committed()` resolves once they are on disk, and
 * only then does the HTTP interface answer. `onChange` names the partner.
 */
export class PartnerTokens {
  private readonly partners = new Map<string, Map<string, OcpiToken>>();
  onChange?: (countryCode: string, partyId: string) => void;
  private pending: OcpiToken[] = [];
  private flush?: Promise<void>;

  constructor(private readonly repo?: TokenRepo) {
    for (const t of repo?.allTokens() ?? []) this.table(t.country_code, t.party_id).set(tokenKey(t.uid, t.type), t);
  }

  private table(cc: string, pid: string): Map<string, OcpiToken> {
    const k = partnerKey(cc, pid);
    let m = this.partners.get(k);
    if (!m) this.partners.set(k, (m = new Map()));
    return m;
  }

  get(cc: string, pid: string, uid: string, type: string): OcpiToken | undefined {
    return this.partners.get(partnerKey(cc, pid))?.get(tokenKey(uid, type));
  }

  /** A whole token (a PUT, a merged PATCH, or one pulled), checked by the caller. */
  apply(t: OcpiToken): TokenApplied {
    const table = this.table(t.country_code, t.party_id);
    const key = tokenKey(t.uid, t.type);
    const old = table.get(key);
    if (old) {
      if (parseOcpiDateTime(t.last_updated)! < parseOcpiDateTime(old.last_updated)!) return 'stale';
      if (JSON.stringify(old) === JSON.stringify(t)) return 'unchanged';
    }
    if (this.repo) this.write(t);
    table.set(key, t);
    this.onChange?.(t.country_code, t.party_id);
    return old ? 'updated' : 'created';
  }

  private write(t: OcpiToken): void {
    this.pending.push(t);
    this.flush ??= new Promise<void>((resolve, reject) => setImmediate(() => {
      const batch = this.pending;
      this.pending = [];
      this.flush = undefined;
      try {
        this.repo!.putTokens(batch);
        resolve();
      } catch (e) {
        reject(e);
      }
    }));
  }

  /** Resolves once every change applied so far is committed to the repo. */
  committed(): Promise<void> {
    return this.flush ?? Promise.resolve();
  }

  /** One partner's tokens, in no particular order. */
  list(cc: string, pid: string): OcpiToken[] {
    return [...(this.partners.get(partnerKey(cc, pid))?.values() ?? [])];
  }

  get size(): number {
    let n = 0;
    for (const m of this.partners.values()) n += m.size;
    return n;
  }
}
