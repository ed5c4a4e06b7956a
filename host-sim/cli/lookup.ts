import { existsSync } from 'node:fs';
import type { Settings, SettingValue } from '../../hal/settings.js';
import { SettingKeys } from '../../hal/moddable/settings-keys.js';
import { ROAM_PARTITIONS } from '../../hal/moddable/regions.js';
import { AuthCache, LocalList, loadAuthSettings, plan, SessionTable, type Decision } from '../../src/auth/index.js';
import { normalizeUid, TokenStore, UidError, type ReaderConfig, type TokenEntry } from '../../src/tokens/index.js';
import { VirtualClock } from '../hal/virtual-clock.js';
import { BadInput, CheckFailed, domainOption, flashOption, parse, readInput, type Command } from './common.js';
import { dumpPlatform, openDump } from './dump.js';
import { checkImageInForce, DUMP_HELP, refuseNotRoam, unrecognized } from './inspect.js';

const help = `usage: roam lookup UID --dump DUMP [--reader-config FILE|JSON] [--connector N] [--connectors N] [--flash SIZE] [--domain roam] [--unverified]

What the device would decide offline for a card, from a dump: the UID as the
reader delivers it is normalized (src/tokens normalizeUid: reader config, byte
order, random-UID check), looked up in the token list in force (image and
differentials) and decided by src/auth with the settings of the dump. The
local list, authorization cache and sessions in progress live in the device's
RAM, not in a dump: the answer assumes none.

UID         hex digits as the reader prints them (04A2B3C4D5E680), or decimal
            with --reader-config '{"input":"decimal"}'
--reader-config  src/tokens ReaderConfig as JSON or @file / a .json file:
            {"input":"hex"|"decimal"|"bytes","reversed":bool,"decimalBytes":4|7|10,
             "truncateTo":4|7,"verbatim":bool}; default {"input":"hex"}, with
            "reversed": true only when the dump's uidOrder setting is lsb (its
            default, msb, keeps the byte order as the card sends it)
--connector N    the connector tapped at, 1..--connectors (default 1)
--connectors N   how many connectors the charger has, 1..255 (default 1, as
            hal/moddable/manifest.json configures the device)
--unverified  answer even from a token image that fails verification, every
            line of the answer marked UNVERIFIED (the exit code stays 1)

The token image in force is verified first, as \`roam inspect\` does it
(SHA-256 of its body, signature with the backend key in force: the last
rotation stored in the selector, else the settings' backendKey). lookup
refuses to answer from an image that fails.

Exit codes: 0 answered from a verified list (or from no list: none was ever
applied); 1 the token image fails verification, or the selector holds
neither erased flash nor a selection (refused; with --unverified the answer
is shown, marked UNVERIFIED); 2 bad input (UID, reader config,
options, an extra argument, a connector out of range, the dump).

${DUMP_HELP}`;

function readerConfig(text: string | undefined, settings: Map<string, SettingValue> | undefined): ReaderConfig {
  if (text === undefined) return { input: 'hex', reversed: settings?.get(SettingKeys.uidOrder) === 'lsb' };
  let json = text;
  if (text.startsWith('@') || (!text.trim().startsWith('{') && existsSync(text))) {
    const file = text.startsWith('@') ? text.slice(1) : text;
    json = readInput(file, '--reader-config').toString('utf8');
  }
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(json);
  } catch (e) {
    throw new BadInput(`--reader-config is not JSON: ${(e as Error).message}`);
  }
  if (!c || typeof c !== 'object' || !['hex', 'decimal', 'bytes'].includes(c.input as string)) throw new BadInput('--reader-config needs "input": "hex", "decimal" or "bytes"');
  const known = ['input', 'reversed', 'decimalBytes', 'truncateTo', 'verbatim'];
  for (const k of Object.keys(c)) if (!known.includes(k)) throw new BadInput(`--reader-config: unknown field ${k} (known: ${known.join(', ')})`);
  if (c.reversed !== undefined && typeof c.reversed !== 'boolean') throw new BadInput('--reader-config: reversed must be true or false');
  if (c.verbatim !== undefined && typeof c.verbatim !== 'boolean') throw new BadInput('--reader-config: verbatim must be true or false');
  if (c.decimalBytes !== undefined && ![4, 7, 10].includes(c.decimalBytes as number)) throw new BadInput('--reader-config: decimalBytes must be 4, 7 or 10');
  if (c.truncateTo !== undefined && ![4, 7].includes(c.truncateTo as number)) throw new BadInput('--reader-config: truncateTo must be 4 or 7');
  return c as unknown as ReaderConfig;
}

function rawUid(text: string, config: ReaderConfig): Uint8Array {
  if (config.input !== 'bytes') return new TextEncoder().encode(text.trim());
  const clean = text.replace(/[\s:]/g, '');
  if (!/^([0-9a-fA-F]{2})+$/.test(clean)) throw new BadInput(`with input "bytes" the UID is the reader's bytes in hex: ${JSON.stringify(text)}`);
  return new Uint8Array(Buffer.from(clean, 'hex'));
}

/** A whole number in [min, max] (OCPP connector ids: 1.. on the charger; 0, the charger itself, is never tapped at). */
function integerOption(option: string, text: string, min: number, max: number): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    const more = option === '--connector' && n > max ? ` (the charger has ${max}; --connectors N for one with more)` : '';
    throw new BadInput(`${option} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}${more}`);
  }
  return n;
}

function describeToken(t: TokenEntry | undefined, version: number | undefined): string {
  if (version === undefined) return 'no token list in force';
  if (!t) return `not on the list (version ${version})`;
  return `${t.uid} of ${t.partner.countryCode}-${t.partner.partyId}: whitelist ${t.whitelist}, ${t.valid ? 'valid' : 'valid=false'}, ${t.type}${t.groupId !== undefined ? `, group ${t.groupId}` : ''} (set by version ${t.sourceVersion})`;
}

export interface LookupAnswer { uid: string; token?: TokenEntry; decision: Decision; listVersion?: number }

export const lookup: Command = {
  help,
  run(args, out) {
    const { values, positionals } = parse('lookup', args, {
      dump: { type: 'string' }, uid: { type: 'string' }, 'reader-config': { type: 'string' }, connector: { type: 'string', default: '1' },
      connectors: { type: 'string', default: '1' }, flash: { type: 'string' }, domain: { type: 'string', default: 'roam' },
      unverified: { type: 'boolean', default: false },
    }, ['UID', 'DUMP']);
    const rest = [...positionals];
    const uidText = values.uid ?? rest.shift();
    const dumpPath = values.dump ?? rest.shift();
    if (!uidText) throw new BadInput('give the card UID (roam lookup --help)');
    if (!dumpPath) throw new BadInput('give the dump: --dump FILE|DIR (roam lookup --help)');
    if (rest.length) throw new BadInput(`unexpected argument ${JSON.stringify(rest[0])}: the UID and the dump are given already`);
    const connectors = integerOption('--connectors', values.connectors!, 1, 255);
    const connector = integerOption('--connector', values.connector!, 1, connectors);
    const domain = domainOption(values.domain!);
    if (values.flash !== undefined) flashOption(values.flash);
    const dump = openDump(dumpPath, { flash: values.flash, domain });
    const regions = unrecognized(dump);
    refuseNotRoam(dump, regions, dumpPath);
    const config = readerConfig(values['reader-config'], dump.settings);
    let uid: string;
    try {
      uid = normalizeUid(rawUid(uidText, config), config);
    } catch (e) {
      if (e instanceof UidError) throw new BadInput(`UID ${JSON.stringify(uidText)}: ${e.message} (${e.code}); the device would refuse the tap before any lookup`);
      throw e;
    }
    const settingsMap = dump.settings ?? new Map<string, SettingValue>();
    const store: Settings = {
      get: (k) => settingsMap.get(k),
      set: () => { throw new Error('lookup never writes settings'); },
      delete: () => { throw new Error('lookup never writes settings'); },
      keys: () => [...settingsMap.keys()],
    };
    const problems: string[] = [];
    const auth = loadAuthSettings(store, (p) => problems.push(p.message));
    const p = ROAM_PARTITIONS;
    let tokens: TokenStore | undefined;
    const backendKey = settingsMap.get(SettingKeys.backendKey);
    if ([...p.tokenSlots, p.tokenSelector, p.tokenOverlay].every((n) => dump.regions.has(n)))
      tokens = new TokenStore({ platform: dumpPlatform(dump), backendKey: backendKey instanceof Uint8Array ? backendKey : new Uint8Array(65), slots: p.tokenSlots, selector: p.tokenSelector, overlay: p.tokenOverlay });
    const clock = new VirtualClock(Date.now());
    const decision = (() => {
      const r = plan({
        settings: auth, list: new LocalList(), cache: new AuthCache(clock, { enabled: auth.authorizationCacheEnabled, lifetimeS: auth.authCacheLifetimeS, maxEntries: auth.authCacheMaxEntries }),
        tokens: tokens ?? { lookup: () => undefined }, sessions: new SessionTable(), wallMs: () => clock.wall().ms, trustedMs: () => clock.wall().ms,
      }, uid, connector, 'offline');
      if (r.kind !== 'decided') throw new Error('an offline plan asked the backend');
      return r.decision;
    })();
    // Never an answer from an image that fails verification, unless asked, and then marked.
    // A selector of garbage reads as "no list ever applied": it is damage, not an empty device.
    const failing = [
      ...(tokens && regions.damaged.includes(p.tokenSelector) ? [`${p.tokenSelector} holds neither erased flash nor a selection: DAMAGED`] : []),
      ...((tokens && checkImageInForce(dump)?.problems) || []),
    ];
    const unverified = failing.length > 0;
    if (unverified && !values.unverified)
      throw new CheckFailed(`the token image in the dump fails verification (${failing.join('; ')}): refusing to answer from it (--unverified shows the raw answer, marked UNVERIFIED)`);
    const token = tokens?.lookup(uid);
    if (unverified) out(`UNVERIFIED: the token image fails verification (${failing.join('; ')}); the answer below comes from unverified bytes`);
    const mark = unverified ? 'UNVERIFIED ' : '';
    out(`uid: ${uidText} → ${uid} (reader: ${JSON.stringify(config)})`);
    out(`token table: ${tokens ? describeToken(token, tokens.version) : 'not in the dump'}${tokens?.bootError ? ` (the device could not open its list: ${tokens.bootError.message})` : ''}`);
    if (tokens) out(`backend key in force: sequence ${tokens.keySeq}${tokens.keySeq === 0 ? ' (provisioned)' : ' (rotated)'}, fingerprint ${tokens.status.keyId}`);
    for (const pr of problems) out(`setting problem (default used): ${pr}`);
    out(`${mark}offline decision on connector ${connector}: ${decision.accept ? `ACCEPT (${decision.action})` : 'REFUSE'}`);
    out(`  status: ${decision.status}`);
    out(`  reason: ${decision.reason}`);
    out(`  method: ${decision.method}; post-authorize when back online: ${decision.checkLater ? 'yes' : 'no'}${decision.energyCapWh ? `; energy cap ${decision.energyCapWh} Wh` : ''}`);
    out('  assumed: empty local list and authorization cache, no session in progress (device RAM, not in a dump)');
    return unverified ? 1 : 0;
  },
};
