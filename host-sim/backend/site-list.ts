import type { Crypto, Signer } from '../../hal/crypto.js';
import { equalBytes } from '../../src/codec/index.js';
import { SIGNATURE_BYTES } from '../../src/tokens/format.js';
import { openKeyRotation } from '../../src/tokens/key-rotation.js';
import { NodeSigner } from '../hal/index.js';
import {
  compileDiff, compileTable, describeUnreachable, encodeKeyRotation, signDiff, signKeyRotation, signTable, type CompileReport, type ReaderConfig,
} from '../../src/tokens/index.js';
import type { RotationRow, SiteRepo } from './db.js';
import type { OcpiToken, PartnerList } from './ocpi-tokens.js';

export interface SiteImage {
  version: number;
  bytes: Uint8Array;
  report: CompileReport;
  tokens: number;
  /** The partner lists this version was compiled from. */
  partners: readonly PartnerList[];
  createdAt: number;
}

/**
 * Builds the signed differential from one version to the next; undefined = none
 * possible (send a full image). `signer` is the site's key in force, `reader`
 * its readers (SiteList's).
 */
export type DiffBuilder = (from: SiteImage, to: SiteImage, signer: Signer, reader?: ReaderConfig) => Uint8Array | undefined;

/**
 * Differentials in the tokens module's signed format: tokens added, changed
 * (any field) and removed between two versions, by uid. Signed with the site's
 * key in force (`signer` only where no site passes one).
 */
export function ocpiDiffBuilder(signer?: Signer, maxChanges = 500): DiffBuilder {
  return (from, to, current, reader) => {
    const before = byUid(from.partners);
    const after = byUid(to.partners);
    const add: OcpiToken[] = [];
    const change: OcpiToken[] = [];
    const remove: string[] = [];
    for (const [uid, t] of after) {
      const old = before.get(uid);
      if (!old) add.push(t);
      else if (JSON.stringify(old) !== JSON.stringify(t)) change.push(t);
    }
    for (const uid of before.keys()) if (!after.has(uid)) remove.push(uid);
    if (add.length + change.length + remove.length > maxChanges) return undefined; // a full image is cheaper
    const { diff } = compileDiff({ from: from.version, to: to.version, createdAt: to.createdAt, add, change, remove, reader });
    return signDiff(diff, current ?? signer!);
  };
}

function byUid(partners: readonly PartnerList[]): Map<string, OcpiToken> {
  const m = new Map<string, OcpiToken>();
  // Only what the table holds can be changed by a differential.
  for (const p of partners) for (const t of p.tokens) if (t.type === 'RFID' || t.type === 'OTHER') m.set(t.uid.toUpperCase(), t);
  return m;
}

/**
 * The token table of one site, as the backend keeps it: every partner's list,
 * compiled and signed into the device's image format at each change; recent
 * images are kept so that a transfer under way can finish, and differentials
 * between consecutive versions when a builder is given.
 */
export class SiteList {
  private readonly images = new Map<number, SiteImage>();
  private readonly diffs = new Map<number, Uint8Array>();
  /** Signed rotations, the one to key sequence n at n - 1. */
  private readonly rotations: Uint8Array[] = [];
  private readonly revoked: Uint8Array[] = [];
  private partners: PartnerList[] = [];
  private byUid = new Map<string, OcpiToken>();
  private latest?: SiteImage;
  private repo?: { repo: SiteRepo; name: string };

  constructor(
    private signer: Signer,
    private readonly crypto: Crypto,
    private readonly clock: () => number,
    private readonly diffBuilder?: DiffBuilder,
    private readonly keepImages = 3,
    /** How the site's readers deliver UIDs (see CompileInput.reader); the default readers when absent. */
    private readonly reader?: ReaderConfig,
    /** The backend's log: each published version, and the tokens no tap at this site can produce. */
    private readonly log: (line: string) => void = () => {},
  ) {}

  get current(): SiteImage | undefined {
    return this.latest;
  }

  get publicKey(): Uint8Array {
    return this.signer.publicKey;
  }

  /** Sequence of the signing key in force: 0 = the key devices are provisioned with. */
  get keySeq(): number {
    return this.rotations.length;
  }

  /** The signed rotation to key sequence `seq` (≥ 1), signed by key seq - 1. */
  rotation(seq: number): Uint8Array | undefined {
    return this.rotations[seq - 1];
  }

  /**
   * Moves list signing to `next`: the rotation is signed by the key in force
   * (devices accept nothing else), then the images and differentials kept are
   * signed again with `next`, so a device that has rotated can still fetch them.
   * `revoke`: devices will refuse any later rotation back to the key replaced.
   */
  rotateKey(next: Signer, options: { revoke?: boolean } = {}): Uint8Array {
    const key = next.publicKey;
    if (equalBytes(key, this.signer.publicKey)) throw new Error('SiteList.rotateKey: that key is already in force');
    if (this.revoked.some((k) => equalBytes(k, key))) throw new Error('SiteList.rotateKey: that key was revoked');
    const secret = this.repo && (next as Partial<NodeSigner>).exportPrivateKey?.();
    if (this.repo && !secret) throw new Error('SiteList.rotateKey: a kept site needs a key whose private part it can keep (a NodeSigner)');
    const seq = this.rotations.length + 1;
    const signed = signKeyRotation(encodeKeyRotation({ seq, key, revoke: options.revoke === true }), this.signer);
    const resign = (b: Uint8Array) => b.subarray(0, b.length - SIGNATURE_BYTES);
    const images = new Map([...this.images].map(([v, image]) => [v, signTable(resign(image.bytes), next)]));
    const diffs = new Map([...this.diffs].map(([v, d]) => [v, signDiff(resign(d), next)]));
    // Kept (all of it in one transaction) before any device is offered it: a restart signs with `next` and serves this rotation.
    this.repo?.repo.saveRotation(this.repo.name, { seq, bytes: signed, signedBy: this.signer.publicKey, secret: secret! }, images, diffs);
    this.take(signed, options.revoke === true, next);
    for (const [v, image] of this.images) {
      const again = { ...image, bytes: images.get(v)! };
      this.images.set(v, again);
      if (this.latest === image) this.latest = again;
    }
    for (const [v, d] of diffs) this.diffs.set(v, d);
    return signed;
  }

  /** Puts a rotation in force: `signed` was signed by the key in force, which `revoke` retires for good. */
  private take(signed: Uint8Array, revoke: boolean, next: Signer): void {
    if (revoke) this.revoked.push(this.signer.publicKey);
    this.rotations.push(signed);
    this.signer = next;
  }

  /** The public keys devices must never rotate back to. */
  get revokedKeys(): readonly Uint8Array[] {
    return this.revoked;
  }

  image(version: number): SiteImage | undefined {
    return this.images.get(version);
  }

  /** The differential from `version` to version + 1, if one exists. */
  diffFrom(version: number): Uint8Array | undefined {
    return this.diffs.get(version);
  }

  /**
   * Keeps every version published from now on in `repo` under `name`, and takes
   * up the versions it already holds (the newest in force, its differentials):
   * a restarted backend serves the same signed bytes, so a device's transfer
   * under way resumes. Rotations are kept too: the key in force is the newest
   * rotation's, each is served again, the revoked keys stay revoked. The kept
   * rotations must chain (each verifies, as on a device, with the key before it)
   * from the key this list was given or up to it; else this throws and nothing changes.
   */
  persistTo(repo: SiteRepo, name: string): void {
    if (this.rotations.length > 0) throw new Error('SiteList.persistTo: call it before any rotation');
    const chain = checkChain(repo.rotations(name), this.signer.publicKey, this.crypto, name);
    for (const r of chain) this.take(r.bytes, r.revoke, r.signer);
    const images = repo.images(name);
    for (const image of images) this.images.set(image.version, image);
    for (const [v, d] of repo.diffs(name)) this.diffs.set(v, d);
    const latest = images[images.length - 1];
    if (latest) {
      this.latest = latest;
      this.setPartners(latest.partners);
    }
    this.repo = { repo, name };
  }

  private setPartners(partners: readonly PartnerList[]): void {
    this.partners = partners.map((p) => ({ ...p, tokens: [...p.tokens] }));
    this.byUid = new Map();
    for (const p of this.partners) for (const t of p.tokens) this.byUid.set(t.uid.toUpperCase(), t);
  }

  /** Replaces all partner lists and publishes a new version. */
  publish(partners: PartnerList[]): SiteImage {
    this.setPartners(partners);
    const version = (this.latest?.version ?? 0) + 1;
    const createdAt = this.clock();
    const compiled = compileTable({
      listVersion: version,
      createdAt,
      partners: this.partners.map((p) => ({ countryCode: p.countryCode, partyId: p.partyId, allowedUsesTable: p.allowedUsesTable, tokens: p.tokens })),
      reader: this.reader,
    }, this.crypto);
    const image: SiteImage = {
      version, bytes: signTable(compiled.image, this.signer), report: compiled.report, tokens: compiled.report.accepted, partners: this.partners, createdAt,
    };
    const r = compiled.report;
    this.log(`list v${version}: ${r.accepted} tokens compiled, ${r.excluded.length} never presented (app users), ${r.invalid.length} invalid, ${r.unreachable.reduce((n, u) => n + u.count, 0)} unreachable with readers ${JSON.stringify(r.reader)}`);
    for (const u of r.unreachable) this.log(`  unreachable: ${describeUnreachable(u, r.reader)}`);
    const previous = this.latest;
    let diff: Uint8Array | undefined;
    if (previous && this.diffBuilder) {
      diff = this.diffBuilder(previous, image, this.signer, this.reader);
      if (diff) this.diffs.set(previous.version, diff);
    }
    // Kept before it is in force: no device is offered a version a restart would not know.
    this.repo?.repo.saveImage(this.repo.name, image, diff);
    this.images.set(version, image);
    this.latest = image;
    for (const v of [...this.images.keys()]) if (v <= version - this.keepImages) this.images.delete(v);
    this.repo?.repo.dropImagesBelow(this.repo.name, version - this.keepImages + 1);
    return image;
  }

  /** Changes some tokens of one partner (by uid) and publishes the next version. */
  update(countryCode: string, partyId: string, change: (t: OcpiToken) => OcpiToken | undefined): SiteImage {
    const next = this.partners.map((p) => p.countryCode === countryCode && p.partyId === partyId
      ? { ...p, tokens: p.tokens.map((t) => change(t) ?? t) }
      : p);
    return this.publish(next);
  }

  /** The OCPI token the partner lists under `uid` (upper-case hex), for real-time answers. */
  findToken(uid: string): OcpiToken | undefined {
    return this.byUid.get(uid);
  }
}

/**
 * The kept rotations of `site` checked as a device checks them: numbered 1, 2, …
 * without a gap, each opened (`openKeyRotation`) with the key before it, naming
 * a key not yet in force nor revoked, and kept with that key's private part.
 * `start` (the key the site was given) must be the first signer or a key the
 * chain reaches. Throws with what is wrong.
 */
function checkChain(rows: RotationRow[], start: Uint8Array, crypto: Crypto, site: string): { bytes: Uint8Array; revoke: boolean; signer: Signer }[] {
  if (rows.length === 0) return [];
  const refuse = (why: string) => new Error(`site ${site}: the key rotations in the database ${why}; refusing to start on them`);
  const out: { bytes: Uint8Array; revoke: boolean; signer: Signer }[] = [];
  let key = rows[0].signedBy;
  const reached = [key]; // every key the chain puts in force, the first signer included
  const revoked: Uint8Array[] = [];
  for (const [i, row] of rows.entries()) {
    if (row.seq !== i + 1) throw refuse(`go from key ${i} to ${row.seq}, not ${i + 1}`);
    if (!equalBytes(row.signedBy, key)) throw refuse(`say rotation ${row.seq} was signed by another key than key ${i}`);
    let r;
    try {
      r = openKeyRotation(row.bytes, crypto, key);
    } catch (e) {
      throw refuse(`do not chain: rotation ${row.seq} does not open with key ${i} (${(e as Error).message})`);
    }
    if (r.seq !== row.seq) throw refuse(`hold rotation ${r.seq} as rotation ${row.seq}`);
    if (equalBytes(r.key, key)) throw refuse(`name the key in force at rotation ${row.seq}`);
    if (revoked.some((k) => equalBytes(k, r.key))) throw refuse(`rotate back to a revoked key at rotation ${row.seq}`);
    let signer: NodeSigner | undefined;
    try {
      if (row.secret) signer = new NodeSigner(row.secret);
    } catch { /* not a P-256 private key: refused below */ }
    if (!signer) throw refuse(`lack a valid private key for rotation ${row.seq}`);
    if (!equalBytes(signer.publicKey, r.key)) throw refuse(`keep a private key for rotation ${row.seq} that is not the key it names`);
    if (r.revoke) revoked.push(key);
    out.push({ bytes: row.bytes, revoke: r.revoke, signer });
    key = r.key;
    reached.push(key);
  }
  if (!reached.some((k) => equalBytes(k, start))) throw refuse('start from another key than the one given, and do not reach it');
  return out;
}
