// npm start [-- --chargers 4 --tokens 5000 --outage-hours 4 --broker mqtt://host:1883 --seed 1]
// A day at a charging site, in virtual time, through a real MQTT broker.
import { parseArgs } from './args.js';
import { runSite } from './site.js';

const args = parseArgs(process.argv.slice(2), { chargers: 4, tokens: 5000, outageHours: 4, broker: '', seed: 1 });
if (args.chargers < 1 || !Number.isInteger(args.chargers)) throw new Error('--chargers must be a positive integer');

const s = await runSite({ ...args, broker: args.broker || undefined, log: (l) => console.log(l) });

console.log('\n== summary ==');
console.log(`taps: ${s.taps}`);
for (const [k, n] of Object.entries(s.decisions).sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(4)}  ${k}`);
console.log(`sessions recorded: ${s.sessionsRecorded}`);
console.log(`records uploaded: ${s.recordsUploaded}, verified (signature and hash chain): ${s.recordsVerified}, retransmitted copies ignored: ${s.duplicatesIgnored} (of ${s.retransmissions} batch retransmissions)`);
console.log(`lists applied: ${s.listsApplied.full} full, ${s.listsApplied.differential} differential, ${s.listsApplied.mismatches} VersionMismatch; versions in force: ${s.listVersions.join(', ')}`);
console.log(`real-time authorizations answered: ${s.backend.authRequests}`);
console.log(`tokens no tap can produce at this site's readers: ${s.unreachable.length === 0 ? 'none' : 'listed and compiled, but never matched by a tap (per partner and reason):'}`);
for (const line of s.unreachable) console.log(`  ${line}`);
console.log(`problems: ${s.problems}, gaps: ${s.gaps}`);
console.log(`LOST: ${s.lost}`);
console.log(`(${s.realSeconds.toFixed(1)} s real time)`);
process.exit(s.lost === 0 && s.problems === 0 && s.gaps === 0 ? 0 : 1);
