import { existsSync, readFileSync } from 'node:fs';
import type { Settings, SettingValue } from '../../hal/settings.js';
import { SettingKeys } from '../../hal/moddable/settings-keys.js';
import { ROAM_PARTITIONS } from '../../hal/moddable/regions.js';
import { AuthCache, LocalList, loadAuthSettings, plan, SessionTable, type Decision } from '../../src/auth/index.js';
import { normalizeUid, TokenStore, UidError, type ReaderConfig, type TokenEntry } from '../../src/tokens/index.js';
import { VirtualClock } from '../hal/virtual-clock.js';
import { CliError, parse, type Command } from './common.js';
import { dumpPlatform, openDump } from './dump.js';
import { checkImageInForce, DUMP_HELP } from './inspect.js';

const help = `usage: roam lookup UID --dump DUMP [--reader-config FILE|JSON] [--connector 1] [--flash SIZE] [--domain roam] [--unverified]

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
             "truncateTo":4|7,"verbatim":bool}; default {"input":"hex"} with
            "reversed" from the uidOrder setting (lsb)
--unverified  answer even from a token image that fails verification, every
            line of the answer marked UNVERIFIED (the exit code stays 1)

The token image in force is verified first, as \`roam inspect\` does it
(SHA-256 of its body, signature with the backend key in force: the last
rotation stored in the selector, else the settings' backendKey). lookup
refuses to answer from an image that fails.

Exit codes: 0 answered from a verified list (or from no list: none was ever
applied); 1 the token image fails verification (refused; with --unverified
the answer is shown, marked UNVERIFIED); 2 bad input (UID, reader config,
options, dump).

${DUMP_HELP}`;

function readerConfig(text: string | undefined, settings: Map<string, SettingValue> | undefined): ReaderConfig {
  if (text === undefined) return { input: 'hex', reversed: settings?.get(SettingKeys.uidOrder) === 'lsb' };
  let json = text;
  if (text.startsWith('@') || (!text.trim().startsWith('{') && existsSync(text))) {
    const file = text.startsWith('@') ? text.slice(1) : text;
    if (!existsSync(file)) throw new CliError(`no such reader config file: ${file}`, 2);
    json = readFileSync(file, 'utf8');
  }
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(json);
  } catch (e) {
    throw new CliError(`--reader-config is not JSON: ${(e as Error).message}`, 2);
  }
  if (!c || typeof c !== 'object' || !['hex', 'decimal', 'bytes'].includes(c.input as string)) throw new CliError('--reader-config needs "input": "hex", "decimal" or "bytes"', 2);
  const known = ['input', 'reversed', 'decimalBytes', 'truncateTo', 'verbatim'];
  for (const k of Object.keys(c)) if (!known.includes(k)) throw new CliError(`--reader-config: unknown field ${k} (known: ${known.join(', ')})`, 2);
  if (c.reversed !== undefined && typeof c.reversed !== 'boolean') throw new CliError('--reader-config: reversed must be true or false', 2);
  if (c.verbatim !== undefined && typeof c.verbatim !== 'boolean') throw new CliError('--reader-config: verbatim must be true or false', 2);
  if (c.decimalBytes !== undefined && ![4, 7, 10].includes(c.decimalBytes as number)) throw new CliError('--reader-config: decimalBytes must be 4, 7 or 10', 2);
  if (c.truncateTo !== undefined && ![4, 7].includes(c.truncateTo as number)) throw new CliError('--reader-config: truncateTo must be 4 or 7', 2);
  return c as unknown as ReaderConfig;
}

function rawUid(text: string, config: ReaderConfig): Uint8Array {
  if (config.input !== 'bytes') return new TextEncoder().encode(text.trim());
  const clean = text.replace(/[\s:]/g, '');
  if (!/^([0-9a-fA-F]{2})+$/.test(clean)) throw new CliError(`with input "bytes" the UID is the reader's bytes in hex: ${JSON.stringify(text)}`, 2);
  return new Uint8Array(Buffer.from(clean, 'hex'));
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
    const { values, positionals } = parse(args, {
      dump: { type: 'string' }, uid: { type: 'string' }, 'reader-config': { type: 'string' }, connector: { type: 'string', default: '1' },
      flash: { type: 'string' }, domain: { type: 'string', default: 'roam' }, unverified: { type: 'boolean', default: false },
    });
    const rest = [...positionals];
    const uidText = values.uid ?? rest.shift();
    const dumpPath = values.dump ?? rest.shift();
    if (!uidText) throw new CliError('give the card UID (roam lookup --help)', 2);
    if (!dumpPath) throw new CliError('give the dump: --dump FILE|DIR (roam lookup --help)', 2);
    if (rest.length) throw new CliError(`unexpected arguments: ${rest.join(' ')}`, 2);
    const connector = Number(values.connector);
    if (!Number.isInteger(connector) || connector < 1) throw new CliError(`--connector must be a connector number from 1, got ${values.connector}`, 2);
    const dump = openDump(dumpPath, { flash: values.flash, domain: values.domain! });
    const config = readerConfig(values['reader-config'], dump.settings);
    let uid: string;
    try {
      uid = normalizeUid(rawUid(uidText, config), config);
    } catch (e) {
      if (e instanceof UidError) throw new CliError(`UID ${JSON.stringify(uidText)}: ${e.message} (${e.code}); the device would refuse the tap before any lookup`, 2);
      throw e;
    }
    const settingsMap = dump.settings ?? new Map<string, SettingValue>();
    const store: Settings = {
      get: (k) => settingsMap.get(k),
      set: () => { throw new CliError('lookup never writes settings', 1); },
      delete: () => { throw new CliError('lookup never writes settings', 1); },
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
      if (r.kind !== 'decided') throw new CliError('internal: an offline plan asked the backend', 1);
      return r.decision;
    })();
    // Never an answer from an image that fails verification, unless asked, and then marked.
    const check = tokens ? checkImageInForce(dump) : undefined;
    const unverified = check !== undefined && !check.ok;
    if (unverified && !values.unverified)
      throw new CliError(`the token image in the dump fails verification (${check.problems.join('; ')}): refusing to answer from it (--unverified shows the raw answer, marked UNVERIFIED)`, 1);
    const token = tokens?.lookup(uid);
    if (unverified) out(`UNVERIFIED: the token image fails verification (${check.problems.join('; ')}); the answer below comes from unverified bytes`);
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
