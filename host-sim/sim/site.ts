import { BackendPeer, generateOcpiTokens, ocpiDiffBuilder, SiteList, type OcpiToken } from '../backend/index.js';
import { DEFAULT_READER, describeUnreachable } from '../../src/tokens/index.js';
import { brokerFor } from '../broker/index.js';
import { MqttTransport, NodeSigner, nodeCrypto, SeededRandom } from '../hal/index.js';
import { RunError, type Spec } from './args.js';
import { SimCharger } from './charger.js';
import { DayRecorder, END_OF_DAY, type Day, type DayTally } from './day.js';
import { dumpCharger } from './dump.js';
import { reachBroker, UNREACHABLE } from './reach.js';
import { tallyRecords } from './tally.js';

/** npm start's options, each with its rule (main.ts parses them; --help lists them). */
export const SITE_OPTIONS = {
  chargers: { kind: 'int', default: 4, min: 1, max: 100, about: 'chargers at the site, two connectors each' },
  tokens: { kind: 'int', default: 5000, min: 100, max: 40_000, about: 'tokens of each of the two partner networks (the list fits a 512 KiB slot)' },
  outageHours: { kind: 'number', default: 4, min: 0, max: 13, about: 'hours the site\'s uplink is down from 10:00 (0: no outage)', rule: 'a number of hours from 0 to 13 (the outage starts at 10:00 and ends before midnight)' },
  broker: { kind: 'url', default: '', about: 'an MQTT broker to use (default: aedes, embedded, on a free port)' },
  seed: { kind: 'int', default: 1, min: 0, max: 1_000_000, about: 'seed of the tokens, taps and keys: the same seed gives the same day' },
  html: { kind: 'path', default: 'roam-day.html', about: 'the picture of the day: a self-contained HTML page (open it in a browser)', rule: 'a file path' },
  dump: { kind: 'path', default: '', about: 'at the end of the day, write each charger\'s flash partitions and NVS to DIR/<charger>/ (for roam inspect and roam lookup)', rule: 'a directory path' },
} satisfies Spec;

export interface SiteOptions {
  chargers: number;
  tokens: number;
  outageHours: number;
  broker?: string;
  seed: number;
  /** Where to write each charger's flash partitions and NVS at the end of the day (host-sim/sim/dump.ts). */
  dump?: string;
  log: (line: string) => void;
}

/** The day's tally (taps, decisions, records, lists: the figures the picture shows too) and the rest of the run. */
export interface SiteSummary extends Omit<DayTally, 'authRequests'> {
  /** Per partner and reason: tokens of the site's list that no tap at its readers can produce (the compile report). */
  unreachable: string[];
  backend: BackendPeer['counters'];
  realSeconds: number;
  /** The directories written by `dump`, one per charger. */
  dumped: string[];
  /** Everything the picture of the day draws (picture.ts). */
  day: Day;
  /** Cards of the day, to try `roam lookup` on a dump with. */
  cards: { member: string; blocked: string; listedInvalid: string };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const DAY_START = Date.UTC(2026, 0, 1);
const hhmm = (min: number) => `${String(Math.floor(min / 60) % 24).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;

/**
 * A day at a site in virtual time: the backend peer with two partner
 * networks, chargers running the real core, taps from both networks, unknown
 * and blocked cards, an outage, a power cut mid-session, reconnection.
 */
export async function runSite(o: SiteOptions): Promise<SiteSummary> {
  const t0 = Date.now();
  const rnd = new SeededRandom(o.seed);
  if (o.broker) await reachBroker(o.broker);
  const broker = await brokerFor(o.broker);
  o.log(`broker: ${broker.kind} at ${broker.url}`);
  let minute = 0;
  const timeline: string[] = [];
  const say = (line: string) => { timeline.push(`${hhmm(minute)}  ${line}`); o.log(`${hhmm(minute)}  ${line}`); };
  o.log('timeline: simulated clock (hh:mm of 2026-01-01 UTC; the day takes seconds of real time). A selection of the day:');
  o.log('list updates, the outage, the power cut, every refused or ignored tap, every tap of a card that is not a member\'s,');
  o.log('one member tap in six. The summary counts every tap; the picture (--html) draws every one.');

  // The backend: two partners' OCPI lists compiled into the site's signed image.
  const backendKey = new NodeSigner();
  // The chargers' readers deliver whole UIDs from the chip (the MFRC522's, the default readers).
  const reader = DEFAULT_READER;
  const site = new SiteList(backendKey, nodeCrypto, () => DAY_START + minute * 60_000, ocpiDiffBuilder(backendKey), 3, reader, (line) => say(`backend: ${line}`));
  const blk = generateOcpiTokens({ countryCode: 'US', partyId: 'BLK', count: o.tokens, seed: o.seed * 10 + 1, issuer: 'Blink' });
  const sem = generateOcpiTokens({ countryCode: 'US', partyId: 'SEM', count: o.tokens, seed: o.seed * 10 + 2, issuer: 'SemaConnect' });
  // Two tokens keyed by a printed card number, as OCPI's own examples are ("100012",
  // "012345678"): valid list entries, but no tap at these readers can produce them.
  const cardNumbers = ['100012', '012345678'].map((uid) => ({ ...sem.find((t) => t.type === 'RFID' && t.valid)!, uid, contract_id: `US-SEM-CARD-${uid}`, group_id: undefined }));
  const v1 = site.publish([
    { countryCode: 'US', partyId: 'BLK', allowedUsesTable: true, tokens: blk },
    { countryCode: 'US', partyId: 'SEM', allowedUsesTable: true, tokens: [...sem, ...cardNumbers] },
  ]);
  const backendTransport = new MqttTransport(broker.url, { clientId: `roam-backend-${o.seed}` });
  const backend = new BackendPeer({ transport: backendTransport, crypto: nodeCrypto, site, chunkBytes: 8192, now: () => DAY_START + minute * 60_000 });
  say(`backend: list v${v1.version} compiled: ${v1.tokens} tokens from US-BLK and US-SEM (${v1.report.excluded.length} app-only left out, ${v1.report.invalid.length} invalid), ${(v1.bytes.length / 1024).toFixed(1)} KiB signed image`);

  const chargers: SimCharger[] = [];
  for (let i = 1; i <= o.chargers; i++) {
    const id = `site1-cp${i}`;
    const c = new SimCharger({ id, transport: new MqttTransport(broker.url, { clientId: `roam-${id}-${o.seed}` }), backendKey: backendKey.publicKey, seed: o.seed * 100 + i });
    backend.registerDevice(id, c.signer.publicKey);
    chargers.push(c);
  }

  const rec = new DayRecorder({
    date: new Date(DAY_START).toISOString().slice(0, 10), chargers: chargers.map((c) => c.id), connectors: chargers[0].connectors,
    options: { chargers: o.chargers, tokens: o.tokens, outageHours: o.outageHours, seed: o.seed, broker: broker.kind },
  });
  const busy = () => chargers.some((c) => c.on && c.link.connected && (c.sync.uploader.pending > 0 || c.sync.lists.progress !== undefined || c.store.version !== site.current!.version || c.sync.authorizer.waiting > 0));
  const advance = (ms: number) => { for (const c of chargers) c.platform.clock.advance(ms); };
  /** Lets the network work in real time; virtual time moves 1 s per idle spin so retransmissions happen. */
  const settle = async (limitMs = 3000) => {
    const deadline = Date.now() + limitMs;
    let spins = 0;
    advance(0); // the event loop turns: background work due now (signing a new record) runs
    while (busy() && Date.now() < deadline) {
      await sleep(2);
      if (++spins % 25 === 0) advance(1000);
    }
  };

  const deadline = Date.now() + 10_000;
  while (!(backendTransport.connected && chargers.every((c) => c.link.connected)) && Date.now() < deadline) await sleep(10);
  const online = chargers.filter((c) => c.link.connected).length;
  if (!backendTransport.connected || online < chargers.length) {
    for (const c of chargers) { c.sync.stop(); c.link.close(); }
    backendTransport.close();
    await broker.close();
    throw new RunError(`the MQTT broker at ${broker.url} took the connection test but not the site's clients within 10 s (backend ${backendTransport.connected ? 'connected' : 'not connected'}, ${online}/${chargers.length} chargers)`, UNREACHABLE);
  }
  await settle(20_000);
  say(`${chargers.length} chargers online; list v${site.current!.version} on ${chargers.filter((c) => c.store.version === site.current!.version).length}/${chargers.length}`);

  // Cards people present today.
  const members = (list: OcpiToken[]) => list.filter((t) => t.type === 'RFID' && t.valid);
  const blkMembers = members(blk);
  const semMembers = members(sem);
  const invalidCard = [...blk, ...sem].find((t) => t.type === 'RFID' && !t.valid)!;
  const blockedCard = blkMembers[7];
  const pick = <T,>(xs: T[]) => xs[rnd.below(xs.length)];
  const unknownCard = () => `04${rnd.bytes(6).reduce((s, b) => s + b.toString(16).padStart(2, '0'), '').toUpperCase()}`;

  const outageStart = 10 * 60;
  const outageEnd = outageStart + Math.round(o.outageHours * 60);
  const powerCutAt = outageStart + 150;
  const decisions: Record<string, number> = {};
  const endAt = new Map<string, number>(); // charger:connector → minute
  let taps = 0;
  let cutVictim: SimCharger | undefined;
  let ackedBeforeOutage = 0;

  // A tap every ~20 minutes on each charger from 06:00 to 22:00, from the cards above.
  const tapPlan: { at: number; charger: number; uid: string; who: string }[] = [];
  for (let m = 6 * 60; m < 22 * 60; m += 1) {
    for (let ci = 0; ci < chargers.length; ci++) {
      if (rnd.below(20) !== 0) continue;
      const r = rnd.below(100);
      const [uid, who] = r < 45 ? [pick(blkMembers).uid, 'Blink member'] : r < 85 ? [pick(semMembers).uid, 'SemaConnect member']
        : r < 93 ? [unknownCard(), 'unknown card'] : r < 97 ? [blockedCard.uid, 'blocked card'] : [invalidCard.uid, 'card listed invalid'];
      tapPlan.push({ at: m, charger: ci, uid, who });
    }
  }
  // The blocked card is tapped at least once online and once offline.
  tapPlan.push({ at: 9 * 60 + 30, charger: 0, uid: blockedCard.uid, who: 'blocked card' }, { at: outageStart + 30, charger: 0, uid: blockedCard.uid, who: 'blocked card' });
  tapPlan.sort((a, b) => a.at - b.at);

  for (minute = 0; minute < 24 * 60; minute++) {
    if (minute === 8 * 60) {
      const v = site.update('US', 'BLK', (t) => (t.uid === blockedCard.uid ? { ...t, valid: false } : undefined));
      say(`US-BLK blocks card ${blockedCard.uid}: list v${v.version}, a ${site.diffFrom(v.version - 1)?.length ?? 0}-byte signed differential`);
      backend.announceList();
      await settle();
      say(`list v${v.version} on ${chargers.filter((c) => c.store.version === v.version).length}/${chargers.length} chargers`);
    }
    if (minute === outageStart && o.outageHours > 0) {
      for (const c of chargers) c.link.setOutage(true);
      rec.day.outage = { start: outageStart, end: outageEnd };
      ackedBeforeOutage = chargers.reduce((n, c) => n + c.journal.ackedSeq, 0);
      say(`OUTAGE: the site's uplink is down for ${o.outageHours} h; ${ackedBeforeOutage} records acknowledged so far`);
    }
    if (minute === outageEnd && o.outageHours > 0) {
      for (const c of chargers) c.link.setOutage(false);
      const owed = chargers.reduce((n, c) => n + c.sync.uploader.pending, 0);
      say(`uplink back: ${owed} records journaled while offline wait for upload`);
      await settle(20_000);
      const acked = chargers.reduce((n, c) => n + c.journal.ackedSeq, 0);
      say(`uploaded: ${acked - ackedBeforeOutage} records acknowledged now; ${acked} acknowledged since 00:00 on ${chargers.length} chargers (${ackedBeforeOutage} before the outage)`);
    }
    if (minute === powerCutAt) {
      cutVictim = chargers.find((c) => c.openSessions > 0);
      if (cutVictim) {
        cutVictim.cutPower();
        rec.day.powerCut = { charger: cutVictim.id, at: minute, back: minute + 20, sessions: rec.cut(cutVictim.id, minute) };
        say(`POWER CUT on ${cutVictim.id} with ${cutVictim.openSessions} session(s) charging`);
      }
    }
    if (cutVictim && minute === powerCutAt + 20) {
      cutVictim.powerOn();
      say(`${cutVictim.id} boots: journal recovered (${cutVictim.journal.lastSeq} records, ${cutVictim.journal.depth} to upload), open sessions closed as PowerLoss, list v${cutVictim.store.version ?? 0} from flash`);
      for (const k of [...endAt.keys()]) if (k.startsWith(`${cutVictim.id}:`)) endAt.delete(k);
      cutVictim = undefined;
    }
    for (const c of chargers) c.charge(1);
    for (const [k, at] of endAt) {
      if (at !== minute) continue;
      const [id, conn] = k.split(':');
      const c = chargers.find((x) => x.id === id)!;
      if (c.endSession(Number(conn))) {
        endAt.delete(k);
        rec.sessionEnded(id, Number(conn), minute, 'unplugged');
      }
    }
    for (const t of tapPlan.filter((x) => x.at === minute)) {
      const c = chargers[t.charger];
      const connector = c.freeConnector();
      if (!c.on || connector === undefined) continue;
      taps++;
      const pending = c.tap(t.uid, connector);
      let decided: Awaited<typeof pending> | undefined;
      pending.then((d) => { decided = d; });
      const deadline = Date.now() + 500;
      while (!decided && Date.now() < deadline) await sleep(1);
      if (!decided) c.platform.clock.advance(c.authorizer.settings.onlineTimeoutMs); // no answer: the timeout decides
      const d = await pending;
      const key = d.action === 'ignored' ? 'ignored: re-tap' : `${d.accept ? 'accepted' : 'refused'}: ${d.status}${d.offline ? ' (offline)' : ''}`;
      decisions[key] = (decisions[key] ?? 0) + 1;
      if (d.accept && d.action === 'start') {
        endAt.set(`${c.id}:${connector}`, minute + 30 + rnd.below(150));
        rec.sessionStarted(c.id, connector, minute);
      }
      const inTimeline = !d.accept || t.who !== 'Blink member' && t.who !== 'SemaConnect member' || rnd.below(6) === 0;
      rec.day.taps.push({ at: minute, charger: c.id, connector, uid: d.uid, who: t.who, decision: key, reason: d.reason, inTimeline });
      if (inTimeline)
        say(`${c.id} tap ${t.who} ${d.uid}: ${d.accept ? 'ACCEPTED' : d.action === 'ignored' ? 'ignored' : 'refused'} (${d.reason})`);
    }
    // The network answers before virtual time moves on, as it would within a minute.
    if (busy()) await settle(500);
    rec.sample(minute, chargers);
    advance(60_000);
  }
  // Evening: every session ends, everything uploads.
  for (const c of chargers) for (let k = 1; k <= c.connectors; k++) c.endSession(k);
  await settle(30_000);
  minute = END_OF_DAY;
  rec.close(minute);
  rec.sample(minute, chargers);

  const dumped = o.dump ? chargers.map((c) => dumpCharger(c, o.dump!, { siteId: 'site1', broker: broker.url, backendKey: backendKey.publicKey })) : [];
  const t = tallyRecords(backend.records, chargers, (id, p) => say(`PROBLEM ${id} seq ${p.seq}: ${p.kind} ${p.detail}`));
  const summary: SiteSummary = {
    taps, decisions, sessionsRecorded: t.recorded, retransmissions: chargers.reduce((n, c) => n + c.totals().retransmissions, 0), recordsUploaded: t.stored, recordsVerified: t.verified, duplicatesIgnored: t.duplicatesIgnored, problems: t.problems, gaps: t.gaps, lost: t.lost,
    listsApplied: chargers.reduce((a, c) => {
      const t = c.totals();
      return { full: a.full + t.fullApplied, differential: a.differential + t.diffsApplied, mismatches: a.mismatches + t.mismatches };
    }, { full: 0, differential: 0, mismatches: 0 }),
    listVersions: chargers.map((c) => c.store.version ?? 0),
    unreachable: site.current!.report.unreachable.map((u) => describeUnreachable(u, site.current!.report.reader)),
    backend: backend.counters,
    realSeconds: (Date.now() - t0) / 1000,
    dumped,
    day: rec.day,
    cards: { member: blkMembers.find((t) => t.whitelist === 'ALWAYS')!.uid, blocked: blockedCard.uid, listedInvalid: invalidCard.uid },
  };
  const { unreachable, backend: counters, realSeconds, dumped: _d, day, cards, ...figures } = summary;
  day.tally = { ...figures, authRequests: counters.authRequests };
  day.timeline = timeline;
  for (const c of chargers) { c.sync.stop(); c.link.close(); }
  backendTransport.close();
  await broker.close();
  return summary;
}
