import type { SettingValue } from '../../hal/settings.js';
import { SettingKeys } from '../../hal/moddable/settings-keys.js';
import { ROAM_PARTITIONS, roamRegionNames } from '../../hal/moddable/regions.js';
import { equalBytes, toHex } from '../../src/codec/index.js';
import { H, HEADER_FIXED, MAGIC, SIGNATURE_BYTES, u32 } from '../../src/tokens/format.js';
import { OverlayLog } from '../../src/tokens/overlay.js';
import { keyFingerprint } from '../../src/tokens/key-rotation.js';
import { SlotSelector } from '../../src/tokens/selector.js';
import { readHeader, type TableHeader } from '../../src/tokens/table.js';
import { TokenStore } from '../../src/tokens/store.js';
import { CHAIN_START, decodeRecord, Journal, REFUSED_KEY, verifyRecord, type SessionRecord } from '../../src/sessions/index.js';
import { nodeCrypto, p256PublicKey } from '../hal/node-crypto.js';
import { BadInput, domainOption, flashOption, parse, readInput, type Command } from './common.js';
import { dumpPlatform, openDump, settingsFromNvs, type Dump } from './dump.js';
import { readNvs } from './nvs.js';
import { readSectorHeader } from '../../src/sessions/frame.js';

const SECRET = new Set<string>([SettingKeys.deviceKey]);
const KINDS: Record<number, string> = { 4: '4-byte', 7: '7-byte', 10: '10-byte', 0: 'text' };

export const DUMP_HELP = `A dump is either
  FILE  a whole-flash image (esptool.py read_flash 0 <flash size> FILE) laid out by
        roam's partition table for its size (4MB, 8MB, 16MB: inferred from the
        length, or --flash), or
  DIR   a directory of partition files <partition>.bin (tokens-a, tokens-b,
        tokens-sel, tokens-ovl, journal; what SimFlash writes with its file
        option) with the settings as nvs.bin (NVS image) or settings.json.
Nothing is written to the dump.`;

const inspectHelp = `usage: roam inspect DUMP [--flash 4MB|8MB|16MB] [--domain roam]
       roam inspect --nvs NVS.bin [--domain roam]

Prints the settings (never the device private key), the active token table
(version, partners, counts, SHA-256 and signature checked against the backend
key in force: the provisioned one of the settings, or the last rotation stored
in the selector; its sequence and fingerprint; differentials in force) and the
record journal (records, chain and signatures checked against the device
public key, unacknowledged count, records lost to damage). The journal is read
by the device's own recovery (src/sessions Journal.recover, on a copy): what
inspect lists is what the device would upload. Records are named by their
sequence numbers (#seq).

Exit codes: 0 every check passed; 1 a check failed (image SHA-256 or
signature, a slot the device cannot open, journal chain, signatures, records
lost to damage or refused at append, a damaged journal sector header, a
region that is neither erased nor roam's, a backendKey or devicePub that is
no P-256 point): the report says which, and its last line lists them; 2 bad
input (no such file, a wrong size or a truncated file, a bad option or an
extra argument, or bytes that are not a roam image at all, e.g. random data).

${DUMP_HELP}`;

function show(key: string, v: SettingValue): string {
  if (SECRET.has(key)) return `(private key, ${v instanceof Uint8Array ? v.length : '?'} bytes, not shown)`;
  if (v instanceof Uint8Array) return `${toHex(v).toLowerCase()} (${v.length} bytes)`;
  return JSON.stringify(v);
}

const bytesSetting = (s: Map<string, SettingValue> | undefined, k: string) => {
  const v = s?.get(k);
  return v instanceof Uint8Array ? v : undefined;
};

/** The public keys of the settings: the device verifies (backendKey) and is verified (devicePub) with them. */
const PUBLIC_KEYS = [SettingKeys.backendKey, SettingKeys.devicePub] as const;

/** Prints the settings part; a public key that is no P-256 point fails (nothing it should verify would). */
function settingsReport(dump: Dump, domain: string, out: (s: string) => void, fail: (what: string) => void): void {
  out(`settings (${dump.settingsSource ?? 'none in the dump'}):`);
  if (!dump.settings || dump.settings.size === 0) { out(`  none: the device is not provisioned (no NVS namespace "${domain}")`); return; }
  for (const [k, v] of [...dump.settings].sort(([a], [b]) => (a < b ? -1 : 1))) out(`  ${k.padEnd(15)} ${show(k, v)}`);
  for (const k of PUBLIC_KEYS) {
    const v = dump.settings.get(k);
    if (v === undefined) continue;
    let point = v instanceof Uint8Array;
    try {
      if (point) p256PublicKey(v as Uint8Array);
    } catch {
      point = false;
    }
    if (!point) {
      out(`  ${k}: not a point on P-256 (65 bytes SEC1 04 x y expected): INVALID, ${k === SettingKeys.backendKey ? 'no token list can verify with it' : 'no record signature can be checked with it'}`);
      fail(`settings ${k}`);
    }
  }
}

/** The image in one slot, checked on its own: header, SHA-256 of the body, signature. */
function checkImage(slot: Uint8Array, imageLength: number, backendKey: Uint8Array | undefined, keyName: string): { header?: TableHeader; lines: string[]; ok: boolean } {
  const lines: string[] = [];
  if (imageLength < HEADER_FIXED + SIGNATURE_BYTES || imageLength > slot.length) return { lines: [`image length ${imageLength} does not fit the slot (${slot.length})`], ok: false };
  let header: TableHeader;
  try {
    header = readHeader(slot.subarray(0, Math.min(imageLength, u32(slot, H.headerLength))));
  } catch (e) {
    return { lines: [`header unreadable: ${(e as Error).message}`], ok: false };
  }
  const total = header.headerLength + header.bodyLength + SIGNATURE_BYTES;
  let ok = total === imageLength;
  if (!ok) lines.push(`image length: header says ${total} bytes, selector ${imageLength}: MISMATCH`);
  const sha = nodeCrypto.sha256(slot.subarray(header.headerLength, header.headerLength + header.bodyLength)).digest();
  const shaOk = equalBytes(sha, header.bodySha);
  ok &&= shaOk;
  lines.push(`SHA-256 of the body: ${shaOk ? 'ok' : `MISMATCH (header ${toHex(header.bodySha)}, body ${toHex(sha)})`}`);
  const signature = slot.subarray(total - SIGNATURE_BYTES, total);
  if (!backendKey) {
    lines.push('signature: not checked (no backendKey in the settings)');
    ok = false;
  } else {
    const sigOk = nodeCrypto.verifyP256(backendKey, slot.subarray(0, header.headerLength), signature);
    ok &&= sigOk;
    lines.push(`signature: ${sigOk ? 'ok' : 'FAILS'} with ${keyName}`);
  }
  return { header, lines, ok };
}

/**
 * The image in force in a dump, checked as inspect checks it (header, SHA-256
 * of the body, signature with the backend key in force): undefined when the
 * dump holds no token regions or no selection (no list was ever applied).
 * `roam lookup` answers only from an image that passes.
 */
export function checkImageInForce(dump: Dump): { ok: boolean; problems: string[] } | undefined {
  const p = ROAM_PARTITIONS;
  if (![...p.tokenSlots, p.tokenSelector, p.tokenOverlay].every((n) => dump.regions.has(n))) return undefined;
  const selector = new SlotSelector(dumpPlatform(dump).flash(p.tokenSelector));
  const selection = selector.selection;
  if (!selection) return undefined;
  if (selection.slot > 1) return { ok: false, problems: [`the selector names slot ${selection.slot}: DAMAGED`] };
  const rotated = selector.keyState;
  const backendKey = rotated?.key ?? bytesSetting(dump.settings, SettingKeys.backendKey);
  const keyName = rotated ? `the backend key in force (sequence ${rotated.seq})` : 'the backend key of the settings';
  const { header, lines, ok } = checkImage(dump.regions.get(p.tokenSlots[selection.slot])!, selection.imageLength, backendKey, keyName);
  const problems = ok ? [] : lines.filter((l) => /MISMATCH|FAILS|not checked|unreadable|does not fit/.test(l));
  if (header && header.listVersion !== selection.listVersion) problems.push(`image version ${header.listVersion}, the selector recorded ${selection.listVersion}: MISMATCH`);
  return { ok: problems.length === 0, problems };
}

function tokensReport(dump: Dump, out: (s: string) => void, fail: (what: string) => void): void {
  const p = ROAM_PARTITIONS;
  out('token table:');
  const missing = [...p.tokenSlots, p.tokenSelector, p.tokenOverlay].filter((n) => !dump.regions.has(n));
  if (missing.length) { out(`  not in the dump (missing ${missing.join(', ')})`); return; }
  const platform = dumpPlatform(dump);
  const selector = new SlotSelector(platform.flash(p.tokenSelector));
  const selection = selector.selection;
  // The key images must verify with: the last rotation stored, else the provisioned one. Public keys only.
  const provisioned = bytesSetting(dump.settings, SettingKeys.backendKey);
  const rotated = selector.keyState;
  const backendKey = rotated?.key ?? provisioned;
  const id = (k: Uint8Array) => toHex(keyFingerprint(nodeCrypto, k).subarray(0, 8)).toLowerCase();
  if (rotated) {
    out(`  backend key: sequence ${rotated.seq} (rotated), fingerprint ${id(rotated.key)}, ${rotated.revoked.length} revoked; ${provisioned ? `the provisioned key of the settings (${id(provisioned)}) is no longer used` : 'no provisioned key in the settings'}`);
    out(`    public key ${toHex(rotated.key).toLowerCase()}`);
  } else {
    out(`  backend key: sequence 0 (provisioned), ${provisioned ? `fingerprint ${id(provisioned)}` : 'none in the settings'}`);
  }
  const keyName = rotated ? `the backend key in force (sequence ${rotated.seq})` : 'the backend key of the settings';
  if (!selection) { out(`  none: the selector (${p.tokenSelector}) holds no valid selection; no list was ever applied`); return; }
  if (selection.slot > 1) { out(`  selector names slot ${selection.slot}: DAMAGED`); fail('token selector'); return; }
  const slotName = p.tokenSlots[selection.slot];
  out(`  selector: slot ${selection.slot} (${slotName}), list version ${selection.listVersion}, image ${selection.imageLength} bytes, record #${selection.seq}`);
  const { header, lines, ok } = checkImage(dump.regions.get(slotName)!, selection.imageLength, backendKey, keyName);
  if (header) {
    out(`  image: version ${header.listVersion}${header.listVersion === selection.listVersion ? '' : ' (selector says otherwise: MISMATCH)'}, created ${new Date(header.createdAt).toISOString()}, ${header.tokenCount} tokens, ${header.groupCount} groups`);
    out(`  partners: ${header.partners.map((q) => `${q.countryCode}-${q.partyId} (ALLOWED ${q.allowedUsesTable ? 'from the table' : 'in real time'})`).join(', ')}`);
    out(`  sections: ${header.sections.map((s) => `${KINDS[s.kind] ?? s.kind} ${s.count}`).join(', ')}`);
  }
  for (const l of lines) out(`  ${l}`);
  out(`  verdict: ${ok ? 'the image in force verifies' : 'the image in force does NOT verify'}`);
  if (!ok) fail('token image');
  if (header && header.listVersion !== selection.listVersion) fail('token image version');
  if (!header) return;
  const chain = new OverlayLog(platform.flash(p.tokenOverlay)).chain(header.listVersion);
  const changes = chain.reduce((n, r) => n + r.ops.length, 0);
  out(`  differentials in force: ${chain.length === 0 ? 'none' : chain.map((r) => `${r.from} → ${r.to} (${r.ops.length} changes)`).join(', ')}`);
  const store = new TokenStore({ platform, backendKey: provisioned ?? new Uint8Array(65), slots: p.tokenSlots, selector: p.tokenSelector, overlay: p.tokenOverlay });
  const st = store.status;
  out(`  in force: version ${st.version}, ${st.tokens} tokens in the image, ${st.overlayEntries} uids changed by differentials (${changes} changes)${store.bootError ? `; the device could not open it: ${store.bootError.message}` : ''}`);
  if (store.bootError) fail('token list opens at boot');
}

function fmtTime(t: SessionRecord['start']): string {
  return `${new Date(t.seconds * 1000).toISOString().replace('.000Z', 'Z')}/${t.quality}`;
}

/** The energy, or which reading was refused at the meter boundary (OCMF meter status O / F) when it is unknown. */
function fmtEnergy(rec: SessionRecord): string {
  if (rec.energyWh !== null) return `${rec.energyWh} Wh`;
  const what = (v: number | string) => (typeof v === 'number' ? `${v} Wh` : `REFUSED (${v === 'O' ? 'O, out of range' : 'F, read error'})`);
  return `energy unknown: meter start ${what(rec.meterStartWh)}, stop ${what(rec.meterStopWh)}`;
}

function journalReport(dump: Dump, out: (s: string) => void, fail: (what: string) => void): void {
  const name = ROAM_PARTITIONS.journal;
  const bytes = dump.regions.get(name);
  out(`journal (${name}${bytes ? `, ${bytes.length / 1024} KiB` : ''}):`);
  if (!bytes) { out('  not in the dump'); return; }
  const deviceId = dump.settings?.get(SettingKeys.deviceId);
  const devicePub = bytesSetting(dump.settings, SettingKeys.devicePub);
  const journal = new Journal(dumpPlatform(dump).flash(name), { crypto: nodeCrypto, deviceId: typeof deviceId === 'string' ? deviceId : 'unknown' });
  const r = journal.recover();
  out(`  records: last seq ${r.lastSeq}, acknowledged up to ${r.ackedSeq}, unacknowledged ${journal.depth}, unsigned ${r.unsigned}, found on flash ${r.records}`);
  out(`  damage: ${r.corruptEntries} torn or corrupt entries skipped, ${r.damagedHeaders} damaged sector headers`);
  if (r.damagedHeaders > 0) fail('journal sector headers');
  // Counted by the recovery itself: what the device reports in its status (lost).
  const lost = journal.lostSeqs().map(([a, b]) => (a === b ? `#${a}` : `#${a}..#${b}`));
  if (journal.lostAfterLast > 0) lost.push(`up to ${journal.lostAfterLast} after #${r.lastSeq}, in damaged bytes`);
  out(`  lost to damage: ${r.lostRecords}${r.lostRecords > 0 ? ` unacknowledged record(s) neither readable nor uploaded (${lost.join(', ')}): LOST` : ''}`);
  if (r.lostRecords > 0) fail('journal records lost');
  // Kept in NVS by the journal (Journal.refused): sessions that have no record at all.
  const refused = dump.settings?.get(REFUSED_KEY);
  const refusedCount = typeof refused === 'number' ? refused : 0;
  out(`  refused at append: ${refusedCount}${refusedCount > 0 ? ` record(s) could not be encoded or read back: REFUSED, those sessions have no record (settings ${REFUSED_KEY})` : ''}`);
  if (refusedCount > 0) fail('journal records refused at append');
  const payloads = journal.payloadsFrom(r.ackedSeq + 1);
  const records: SessionRecord[] = [];
  for (const pl of payloads) {
    try { records.push(decodeRecord(pl)); } catch (e) { out(`  a record does not decode: ${(e as Error).message}`); }
  }
  if (records.length) out('  unacknowledged records:');
  for (const rec of records)
    out(`    #${rec.seq} ${rec.evseId} uid ${rec.uid} ${rec.method}${rec.offline ? ' offline' : ''} ${fmtTime(rec.start)} → ${fmtTime(rec.stop)} ${fmtEnergy(rec)} (${rec.stopReason})`);
  // Links between the unacknowledged records, and to the genesis when nothing was acknowledged.
  let linkProblem: string | undefined;
  for (let i = 1; i < records.length; i++) {
    if (records[i].seq !== records[i - 1].seq + 1) { linkProblem = `gap: #${records[i - 1].seq} then #${records[i].seq}`; break; }
    if (!equalBytes(records[i].prev, nodeCrypto.sha256(payloads[i - 1]).digest())) { linkProblem = `#${records[i].seq} does not link to #${records[i - 1].seq}`; break; }
  }
  if (!linkProblem && records.length && r.ackedSeq === 0 && !equalBytes(records[0].prev, CHAIN_START.hash)) linkProblem = `#${records[0].seq} does not start the chain`;
  out(`  chain: ${records.length === 0 ? 'nothing unacknowledged' : linkProblem ? `BROKEN (${linkProblem})` : `ok (#${records[0].seq}..#${records[records.length - 1].seq}, each linked to the previous record's SHA-256)`}`);
  if (linkProblem) fail('journal chain');
  const signed = journal.readFrom(r.ackedSeq + 1, Infinity);
  if (!devicePub || typeof deviceId !== 'string') {
    out('  signatures: not checked (no deviceId/devicePub in the settings)');
    if (signed.length > 0) fail('journal signatures (no device key to check them with)');
    return;
  }
  if (signed.length === 0) { out('  signatures: no signed unacknowledged record'); return; }
  // Each record on its own, named by its number (the chain is checked above).
  const bad: string[] = [];
  for (const s of signed) {
    try {
      const v = verifyRecord(s.bytes, devicePub, nodeCrypto, deviceId);
      if (v.record.seq !== s.seq) bad.push(`#${s.seq}: signed as #${v.record.seq}`);
    } catch (e) {
      bad.push(`#${s.seq}: ${(e as Error).message}`);
    }
  }
  if (bad.length === 0) out(`  signatures: ok (${signed.length} records, #${signed[0].seq}..#${signed[signed.length - 1].seq}, ES256 with the device public key of the settings)`);
  else {
    out(`  signatures: FAIL (${bad.length} of ${signed.length}: ${bad.slice(0, 4).join('; ')}${bad.length > 4 ? '; …' : ''})`);
    fail('journal signatures');
  }
}

export const inspect: Command = {
  help: inspectHelp,
  run(args, out) {
    const { values, positionals } = parse('inspect', args, {
      dump: { type: 'string' }, nvs: { type: 'string' }, flash: { type: 'string' }, domain: { type: 'string', default: 'roam' },
    }, ['DUMP']);
    const domain = domainOption(values.domain!);
    if (values.flash !== undefined) flashOption(values.flash);
    const sources = [values.dump, values.nvs, ...positionals].filter((s) => s !== undefined);
    if (sources.length !== 1) throw new BadInput('give one dump (a whole-flash image or a directory of partition files), or --nvs FILE (roam inspect --help)');
    const failed: string[] = [];
    const fail = (what: string) => { if (!failed.includes(what)) failed.push(what); };
    const verdict = () => {
      out(failed.length === 0 ? 'checks: all passed' : `checks: FAILED: ${failed.join(', ')}`);
      return failed.length === 0 ? 0 : 1;
    };
    if (values.nvs) {
      const settings = settingsFromNvs(new Uint8Array(readInput(values.nvs, '--nvs')), domain, values.nvs);
      settingsReport({ describe: values.nvs, regions: new Map(), settings, settingsSource: `${values.nvs} (NVS image), namespace "${domain}"` }, domain, out, fail);
      return verdict();
    }
    const dump = openDump(sources[0]!, { flash: values.flash, domain });
    const regions = unrecognized(dump);
    refuseNotRoam(dump, regions, sources[0]!);
    out(dump.describe);
    settingsReport(dump, domain, out, fail);
    tokensReport(dump, out, fail);
    journalReport(dump, out, fail);
    for (const name of regions.damaged) {
      out(`${name}: neither erased flash nor anything roam writes: DAMAGED`);
      fail(`${name} region`);
    }
    return verdict();
  },
};

/** Bad input: bytes that nothing of roam's is in (e.g. random data). */
export function refuseNotRoam(dump: Dump, regions: { all: boolean }, path: string): void {
  if (regions.all && !dump.settings?.size)
    throw new BadInput(`${path}: not a roam image (no region holds erased flash or anything roam writes: no journal sector, no token image or selection, no NVS entries)`);
}

/**
 * The regions of the dump that hold neither erased flash (0xFF) nor anything
 * roam writes where it writes it: a journal sector header, a selector record,
 * a table image's magic, NVS pages with entries. `all`: every roam region of
 * the dump is so (not a roam image); `damaged`: those of them inspect checks.
 */
export function unrecognized(dump: Dump): { all: boolean; damaged: string[] } {
  const p = ROAM_PARTITIONS;
  const slots = p.tokenSlots as readonly string[];
  const damaged: string[] = [];
  let roam = 0;
  let unknown = 0;
  for (const [name, bytes] of dump.regions) {
    if (name !== p.nvs && !roamRegionNames().includes(name)) continue;
    roam++;
    let known = bytes.every((x) => x === 0xff);
    if (!known && name === p.journal) for (let at = 0; at + 12 <= bytes.length && !known; at += 4096) known = readSectorHeader(bytes, at) >= 0;
    if (!known && name === p.tokenSelector) {
      const sel = new SlotSelector(dumpPlatform(dump).flash(name));
      known = sel.selection !== undefined || sel.keyState !== undefined;
    }
    if (!known && slots.includes(name)) known = bytes.length >= HEADER_FIXED && u32(bytes, H.magic) === MAGIC;
    if (!known && name === p.nvs) {
      try {
        known = readNvs(bytes).size > 0;
      } catch {
        known = false;
      }
    }
    // The overlay and the local list are not checked here: only blank counts as roam's.
    if (known) continue;
    unknown++;
    if (name === p.journal || name === p.tokenSelector || name === p.nvs || slots.includes(name)) damaged.push(name);
  }
  return { all: roam > 0 && unknown === roam, damaged };
}
