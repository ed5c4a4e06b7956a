import type { FlashRegion } from '../../hal/flash.js';
import type { TokenSearch } from '../../hal/token-search.js';
import type { Differential, DiffToken } from './diff.js';
import { TokenUpdateError } from './errors.js';
import { OverlayIndex } from './overlay-index.js';
import type { OverlayLog, OverlayOp, RecordView } from './overlay.js';
import { TokenTable, type TableHeader } from './table.js';
import { TOKEN_TYPES, WHITELISTS, type TokenEntry, type TokenLookup } from './types.js';

/**
 * The list in force: the selected image read in place, and the differentials
 * applied on it (the overlay log on flash, its index in RAM), consulted first.
 * Versions only move forward: a rollback is refused whether it comes as an
 * image or as a differential.
 */
export class ListInForce implements TokenLookup {
  header?: TableHeader;
  slot?: number;
  /** Version in force (image plus differentials); undefined before the first image. */
  version?: number;
  /**
   * With no list in force because the selected one could not be opened at
   * boot: the version it had (the selector's record of the image, or the last
   * differential applied on it). No older image is accepted: a rollback is
   * one whether or not the slot still opens.
   */
  versionFloor?: number;
  private table?: TokenTable;
  readonly overlay: OverlayIndex;

  constructor(private readonly slots: FlashRegion[], private readonly log: OverlayLog, private readonly maxOverlay: number, private readonly search?: TokenSearch) {
    this.overlay = new OverlayIndex(log, maxOverlay);
  }

  /** Puts the verified image in `slot` in force; its differentials come with replay(). */
  open(slot: number, header: TableHeader): void {
    this.slot = slot;
    this.header = header;
    this.table = undefined;
    this.version = header.listVersion;
    this.overlay.reset();
  }

  /** Boot: the overlay's records that chain from the image, streamed from flash and indexed in place. */
  replay(): void {
    this.log.scan(this.header!.listVersion, (r) => this.take(r));
  }

  lookup(uid: string): TokenEntry | undefined {
    if (this.slot === undefined) return undefined;
    uid = uid.toUpperCase(); // OCPI uids are case-insensitive: once here, not again in the table
    if (this.overlay.changes > 0) {
      const o = this.overlay.lookup(uid, this.header!.partners);
      if (o !== undefined) return o ?? undefined;
    }
    return this.mapped().find(uid);
  }

  /** Refuses a version that is not newer than the one in force (or older than the floor). */
  checkNewer(version: number): void {
    if (this.version !== undefined && version <= this.version)
      throw new TokenUpdateError('ROLLBACK', `version ${version} is not newer than ${this.version} in force`);
    // The same version again is accepted here: the device lost its list, the backend may have none newer.
    if (this.version === undefined && this.versionFloor !== undefined && version < this.versionFloor)
      throw new TokenUpdateError('ROLLBACK', `version ${version} is older than ${this.versionFloor}, the version of the list that could not be opened at boot (the selector's record)`);
  }

  /** Applies a differential whose signature was checked; returns the new version. */
  apply(d: Differential): number {
    if (this.version === undefined || !this.header)
      throw new TokenUpdateError('VERSION_MISMATCH', 'no list in force: a full image is needed first');
    this.checkNewer(d.to);
    if (d.from !== this.version)
      throw new TokenUpdateError('VERSION_MISMATCH', `differential ${d.from} → ${d.to} does not follow version ${this.version}`);
    const ops: OverlayOp[] = [];
    for (const t of d.add) {
      if (this.lookup(t.uid)) throw new TokenUpdateError('ALREADY_PRESENT', `differential adds ${t.uid}, already on the list`);
      ops.push(this.op(t));
    }
    for (const t of d.change) {
      if (!this.lookup(t.uid)) throw new TokenUpdateError('NOT_PRESENT', `differential changes ${t.uid}, not on the list`);
      ops.push(this.op(t));
    }
    for (const uid of d.remove) {
      if (!this.lookup(uid)) throw new TokenUpdateError('NOT_PRESENT', `differential removes ${uid}, not on the list`);
      ops.push([uid]);
    }
    if (this.overlay.changes + ops.length > this.maxOverlay)
      throw new TokenUpdateError('OVERLAY_FULL', `overlay would hold ${this.overlay.changes + ops.length} changes, over ${this.maxOverlay}: send a full image`);
    const record = this.log.frame({ base: this.header.listVersion, from: d.from, to: d.to, ops });
    // Boot's rule, before the write (frame() read the ops back): a record boot would step over is never written.
    if (record.maxPartner! >= this.header.partners.length)
      throw new TokenUpdateError('UNKNOWN_PARTNER', `differential ${d.from} → ${d.to} names a partner not in the table`);
    this.log.append(record);
    this.take(record);
    return d.to;
  }

  /** The version the selected image reached: its own, or the last differential the overlay applied on it. */
  recordedVersion(imageVersion: number): number {
    let version = imageVersion;
    try {
      this.log.scan(imageVersion, (r) => {
        version = r.to;
        return true;
      });
    } catch {
      // A damaged overlay: the image's own version still holds.
    }
    return version;
  }

  private op(t: DiffToken): OverlayOp {
    const partners = this.header!.partners;
    let p = 0;
    while (p < partners.length && (partners[p].countryCode !== t.countryCode || partners[p].partyId !== t.partyId)) p++;
    if (p === partners.length) throw new TokenUpdateError('UNKNOWN_PARTNER', `differential names partner ${t.countryCode}-${t.partyId}, not in the table`);
    return [t.uid, p, WHITELISTS.indexOf(t.whitelist), t.valid, TOKEN_TYPES.indexOf(t.type), t.groupId ?? null];
  }

  /**
   * Puts a record in force, unless an op is malformed or names no partner of the image
   * (KD-2: src/auth reads token.partner): boot steps over such a record, apply refuses it.
   */
  private take(r: RecordView): boolean {
    if (!this.overlay.take(r, this.header!.partners.length)) return false;
    this.version = r.to;
    return true;
  }

  // Mapped at the first lookup, not at commit: the mapping is the flash itself
  // on a device, and an apply has no need of it.
  private mapped(): TokenTable {
    if (!this.table) {
      const region = this.slots[this.slot!];
      this.table = new TokenTable(region.map ? region.map() : region.read(0, this.header!.headerLength + this.header!.bodyLength), this.search);
    }
    return this.table;
  }
}
