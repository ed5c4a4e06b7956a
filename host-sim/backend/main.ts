// npm run backend -- --config backend.json
// The backend peer as a process: OCPI 2.2.1 over HTTP for the partners, MQTT
// for the site's devices, all state in SQLite. Exit codes: 0 stopped by
// SIGTERM/SIGINT, 1 failed (a database whose key rotations do not chain too),
// 2 bad input (options or config).
import { readFileSync } from 'node:fs';
import { toHex } from '../../src/codec/index.js';
import { checkConfig, startBackend, type BackendConfig } from './service.js';

const HELP = `usage: npm run backend -- --config FILE

Runs the backend peer of one site: the OCPI 2.2.1 Tokens receiver and CDRs
sender over HTTP, the roam/v1 MQTT peer of the site's devices, state in SQLite.
FILE (JSON): db (file), broker (mqtt://host:port), site (name), partners
[{countryCode, partyId, credentialsToken, allowedUsesTable?, tokensUrl?,
cdrsUrl?, outgoingToken?}], optional http {host, port}, siteKey (hex), devices
[{id, publicKey}], cpo (CDR context: countryCode, partyId, currency, location),
chunkBytes, settleMs, durability ('full' | 'normal'), pullEveryMs, pushEveryMs.
docs/backend.md describes each.
Prints "ready url=… site=… version=… key=… kseq=…" once serving (key: the
provisioned signing key; kseq: how many rotations are in force since it).
Exit codes: 0 stopped (SIGTERM, SIGINT), 1 failed while running or refused the
database (its key rotations do not chain), 2 bad input.`;

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  console.log(HELP);
  process.exit(0);
}
const at = argv.indexOf('--config');
const file = argv[at + 1];
if (at < 0 || !file || argv.length !== 2) {
  console.error('roam backend: --config FILE is required (and nothing else); --help for the format');
  process.exit(2);
}
let config: BackendConfig;
try {
  config = JSON.parse(readFileSync(file, 'utf8')) as BackendConfig;
} catch (e) {
  console.error(`roam backend: cannot read ${file}: ${(e as Error).message}`);
  process.exit(2);
}
const problem = checkConfig(config);
if (problem) {
  console.error(`roam backend: ${file}: ${problem}`);
  process.exit(2);
}
try {
  const svc = await startBackend(config, { log: (l) => console.log(l) });
  console.log(`ready url=${svc.url} site=${config.site} version=${svc.list.current?.version ?? 0} key=${toHex(svc.siteKey)} kseq=${svc.list.keySeq}`);
  const stop = () => void svc.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} catch (e) {
  console.error(`roam backend: ${(e as Error).message}`);
  process.exit(1);
}
