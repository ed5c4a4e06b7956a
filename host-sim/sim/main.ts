// npm start [-- --chargers 4 --tokens 5000 --outage-hours 4 --broker mqtt://host:1883 --seed 1 --html FILE --dump DIR]
// A day at a charging site, in virtual time, through a real MQTT broker.
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { optionsHelp, parseOptions, runCommand } from './args.js';
import { prepareDumpDir } from './dump.js';
import { checkPagePath, writeDayPage } from './picture.js';
import { UNREACHABLE } from './reach.js';
import { runSite, SITE_OPTIONS } from './site.js';

const HELP = `usage: npm start [-- options]

A day at a charging site in simulated time (00:00 to 24:00 on 2026-01-01 UTC,
about 3 s of real time): the backend peer with two partner networks' token
lists, chargers running roam's core on simulated flash, taps from members,
unknown and blocked cards, a list update, an outage of the uplink, a power cut
in mid-session, and every record uploaded and verified at the end. Prints a
timeline (a selection of the day's events, stamped with the simulated clock)
and a summary; writes the picture of the day (--html) and, with --dump, each
charger's flash and NVS for roam inspect and roam lookup.

options:
${optionsHelp(SITE_OPTIONS)}

exit codes: 0 every record journaled was uploaded and verified; 1 a record was
lost or duplicated, or the backend found a problem or a gap; 2 bad input (an
option, its value); ${UNREACHABLE} the MQTT broker cannot be reached.`;

await runCommand('npm start', async () => {
  const args = parseOptions(process.argv.slice(2), SITE_OPTIONS);
  if (args === 'help') {
    console.log(HELP);
    return 0;
  }
  checkPagePath(args.html);
  if (args.dump) prepareDumpDir(args.dump);
  const s = await runSite({ ...args, broker: args.broker || undefined, dump: args.dump || undefined, log: (l) => console.log(l) });

  console.log('\n== summary ==');
  console.log(`taps: ${s.taps} (the timeline above showed ${s.day.taps.filter((t) => t.inTimeline).length} of them)`);
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
  writeDayPage(args.html, s.day);
  console.log(`\npicture of the day: ${resolve(args.html)} (one lane per charger; open it in a browser)`);
  if (s.dumped.length) {
    console.log(`\n== flash and NVS of each charger, as the device holds them ==`);
    for (const d of s.dumped) console.log(`  ${d}/  ${readdirSync(d).sort().join(' ')}`);
    const one = s.dumped[0];
    console.log(`try:  npx roam inspect ${one}`);
    console.log(`      npx roam lookup ${s.cards.member} --dump ${one}    (a Blink member, whitelist ALWAYS)`);
    console.log(`      npx roam lookup ${s.cards.blocked} --dump ${one}    (the card US-BLK blocked at 08:00)`);
  }
  return s.lost === 0 && s.problems === 0 && s.gaps === 0 ? 0 : 1;
});
