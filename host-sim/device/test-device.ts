// npm run test:device: every shared scenario (test/scenarios) and the device
// checks (host-sim/device/checks.ts) on the Moddable SDK's Linux simulator,
// compared byte for byte with Node. See `--help`.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import type { Broker } from '../broker/broker.js';
import { startAedes } from '../broker/aedes-broker.js';
import { Mosquitto, mosquittoBinary } from '../broker/mosquitto.js';
import { loadScenario, runOnNode, scenarioFiles } from '../xs/scenarios.js';
import { ROOT } from '../xs/bundle.js';
import { BUILD_DIR, requireSdk, run, SDK_VERSION, UsageError } from './sdk.js';
import { bundleForDevice, scenarioNotes } from './bundle.js';
import { clientId, DEVICE_CHECKS, echo, mqttTopics, type CheckEnv } from './checks.js';
import { nodeHal } from './node-hal.js';
import { compareRuns, parseDeviceOutput, type Expected } from './report.js';
import { bundleBoard, compareDay, dayTrace, EXAMPLE_SIM } from './example-day.js';
import { predictDay } from './example-sim/predict.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const APP = join(HERE, 'test-app');

const HELP = `usage: npm run test:device [-- --timeout SECONDS --broker mosquitto|aedes]

Builds the device test app (host-sim/device/test-app: roam's includable manifest
hal/moddable/manifest.json on the lin platform, a harness, and one bundle of the
test code whose imports of roam stay roam's manifest modules) with
  mcconfig -i -m -p lin -o host-sim/device/.build/test-app host-sim/device/test-app/manifest.json
runs it on mcsim under xvfb-run, and compares the output of every shared
scenario (test/scenarios) and device check (RFC 6979 vectors and the device
signer, Preference settings, an MQTT round trip to a local broker) with Node's,
byte for byte (length and SHA-256, the device's computed by crypt's Digest).
Then it builds the example charger firmware (examples/charger) for lin through
host-sim/device/example-sim (a simulated board for what mcsim lacks) and runs
its scripted day (taps, plug, meter pulses, a power cut, the link down and up),
comparing the firmware's log line by line with the Node simulator's prediction
of the same day (host-sim/device/example-sim/predict.ts).

Needs $MODDABLE (the pinned SDK ${SDK_VERSION}, built; see ../shared/moddable/README.md),
xvfb-run and stdbuf; TypeScript 6 from this repository's node_modules is put
first on PATH for mcconfig. Broker: mosquitto when installed, else the embedded aedes.
Logs: host-sim/device/.build/mcconfig-test-app.log and mcsim.log.

  --timeout S   kill mcsim after S seconds (default 900)
  --broker B    mosquitto or aedes (default: mosquitto if installed)
  --example     only the example charger's day (examples/charger on mcsim
                against the Node prediction), not the scenarios and checks

Exit codes:
  0  every scenario and check ran on mcsim and equals Node's output
  1  a mismatch, an error, a missing result, a failed build, or a timeout
  2  bad usage, or the SDK or a tool missing (without $MODDABLE outside CI:
     a loud SKIPPED line and exit 0; with CI (or ROAM_CI=1) set: exit 2)`;

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

async function startBroker(kind: string | undefined): Promise<Broker> {
  if (kind === 'aedes') return startAedes();
  if (kind === 'mosquitto') return Mosquitto.start();
  try { mosquittoBinary(); } catch { return startAedes(); }
  return Mosquitto.start();
}

/** The runner's side of the MQTT check: answers each payload on up with echo(payload) on down. */
async function startEchoPeer(url: string, prefix: string): Promise<{ close(): Promise<void>; seen: number }> {
  const { up, down } = mqttTopics(prefix);
  const client = mqtt.connect(url, { clientId: clientId(prefix, 'peer'), reconnectPeriod: 500 });
  const state = { seen: 0, close: () => new Promise<void>((r) => client.end(true, {}, () => r())) };
  client.on('message', (topic, payload) => {
    if (topic !== up) return;
    state.seen++;
    client.publish(down, Buffer.from(echo(new Uint8Array(payload))), { qos: 0 });
  });
  await new Promise<void>((resolve, reject) => {
    client.once('error', reject);
    client.once('connect', () => client.subscribe(up, { qos: 0 }, (e) => (e ? reject(e) : resolve())));
  });
  return state;
}

function findFile(dir: string, name: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) { const f = findFile(p, name); if (f) return f; } else if (e === name) return p;
  }
  return undefined;
}

interface McsimRun { lines: string[]; finished: boolean; exit: string; ms: number }

/** mcsim in its own process group under xvfb-run; the group is ended when the app's last line arrives, or at the timeout. */
function runMcsim(mcsim: string, mcso: string, timeoutMs: number, log: string, echoLine: (l: string) => void, endLine = '@roam end'): Promise<McsimRun> {
  return new Promise((resolve) => {
    const start = Date.now();
    const out = createWriteStream(log);
    const child = spawn('stdbuf', ['-oL', 'xvfb-run', '-a', mcsim, mcso], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let buffer = '';
    let finished = false;
    let stopping = false;
    const stop = () => {
      if (stopping || child.pid === undefined) return;
      stopping = true;
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* gone */ }
      setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 3000).unref();
    };
    const timer = setTimeout(stop, timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      out.write(d);
      buffer += d.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const l = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        lines.push(l);
        echoLine(l);
        if (l.startsWith(endLine)) { finished = true; stop(); }
        // XS aborts (stack or memory exhausted, a fatal native error) leave mcsim open with nothing more to say.
        if (l.startsWith('XS abort')) stop();
      }
    });
    child.stderr.on('data', (d: Buffer) => out.write(d));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      out.end();
      if (buffer) lines.push(buffer);
      resolve({ lines, finished, exit: signal ?? String(code), ms: Date.now() - start });
    });
  });
}

/**
 * The example charger firmware (examples/charger) built for lin through
 * host-sim/device/example-sim, run on mcsim through the scripted day, its
 * trace compared with the Node simulator's prediction of the same day.
 */
async function exampleDay(sdk: ReturnType<typeof requireSdk>, mcsim: string, timeoutS: number): Promise<boolean> {
  console.log('');
  const t0 = Date.now();
  const predicted = await predictDay();
  console.log(`# example charger: Node prediction of the day: ${dayTrace(predicted).length} trace lines (${secs(Date.now() - t0)})`);
  writeFileSync(join(BUILD_DIR, 'roam-sim-board.js'), await bundleBoard());
  const out = join(BUILD_DIR, 'example-sim');
  mkdirSync(out, { recursive: true });
  const args = ['-i', '-m', '-p', 'lin', '-o', out, join(EXAMPLE_SIM, 'manifest.json')];
  console.log(`# mcconfig ${args.join(' ')}`);
  const tBuild = Date.now();
  const buildLog = join(BUILD_DIR, 'mcconfig-example-sim.log');
  const { code, out: log } = await run('mcconfig', args, { ...sdk.env, MAKEFLAGS: process.env.MAKEFLAGS ?? `-j${availableParallelism()}` });
  writeFileSync(buildLog, log);
  const mcso = findFile(join(out, 'bin'), 'mc.so');
  if (code !== 0 || !mcso) {
    console.log(spawnSync('tail', ['-n', '60', buildLog], { encoding: 'utf8' }).stdout);
    console.log(`test:device: FAILED: the example's lin build failed (exit ${code}); full log: ${buildLog}`);
    return false;
  }
  console.log(`# built ${mcso} in ${secs(Date.now() - tBuild)}`);
  const simLog = join(BUILD_DIR, 'mcsim-example.log');
  const sim = await runMcsim(mcsim, mcso, timeoutS * 1000, simLog, (l) => { if (/^(@day |roam: |charger: )/.test(l)) console.log(`  ${l}`); }, '@day end');
  const c = compareDay(predicted, sim.lines);
  console.log(`# example charger on mcsim: ${dayTrace(sim.lines).length} trace lines in ${secs(sim.ms)}${sim.finished ? '' : ` (NOT finished: killed after ${timeoutS} s)`}`);
  if (!c.ok) {
    const d = c.firstDifference;
    console.log(`test:device: FAILED: the example charger's day on mcsim ${d ? `differs from the Node prediction at trace line ${d.line}: Node ${JSON.stringify(d.node)}, mcsim ${JSON.stringify(d.device)}` : c.error ?? 'did not finish'}; mcsim output: ${simLog}`);
    return false;
  }
  console.log(`test:device: the example charger's day on mcsim equals the Node prediction (${dayTrace(predicted).length} lines)`);
  return true;
}

async function main(argv: string[]): Promise<number> {
  let values: { timeout?: string; broker?: string; example?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { timeout: { type: 'string' }, broker: { type: 'string' }, example: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) { console.log(HELP); return 0; }
  const timeoutS = values.timeout === undefined ? 900 : Number(values.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new UsageError(`--timeout must be a positive number of seconds, got ${values.timeout}`);
  if (values.broker !== undefined && !['mosquitto', 'aedes'].includes(values.broker)) throw new UsageError(`--broker must be mosquitto or aedes, got ${values.broker}`);

  const sdk = requireSdk('test:device');
  const mcsim = join(sdk.moddable, 'build', 'bin', 'lin', 'release', 'mcsim');
  if (!existsSync(mcsim)) { console.error(`test:device: ${mcsim} is missing: the SDK's Linux simulator is not built (../shared/moddable/install.sh builds it)`); return 2; }
  for (const t of ['xvfb-run', 'stdbuf']) if (!which(t)) { console.error(`test:device: ${t} is not installed (apt-get install -y xvfb xauth coreutils)`); return 2; }

  const t0 = Date.now();
  mkdirSync(BUILD_DIR, { recursive: true });
  if (values.example) return (await exampleDay(sdk, mcsim, timeoutS)) ? 0 : 1;
  const broker = await startBroker(values.broker);
  const prefix = `roam-device-test/${(Date.now() % 2 ** 32).toString(36)}${process.pid.toString(36)}`;
  const env: CheckEnv = { broker: { host: '127.0.0.1', port: broker.port, prefix } };
  const peer = await startEchoPeer(broker.url, prefix);
  try {
    // 1. Node: the reference bytes.
    const tNode = Date.now();
    const files = scenarioFiles();
    const expected: Expected[] = [];
    const names: Record<string, string> = {};
    for (const f of files) {
      const s = await loadScenario(f);
      names[f] = s.name;
      const start = Date.now();
      const out = await runOnNode(f);
      expected.push({ name: s.name, kind: 'scenario', bytes: out.length, sha256: sha256(out), nodeMs: Date.now() - start, output: out });
    }
    for (const c of DEVICE_CHECKS) {
      const start = Date.now();
      const out = await c.run(nodeHal, env);
      expected.push({ name: c.name, kind: 'check', bytes: out.length, sha256: sha256(out), nodeMs: Date.now() - start, output: out });
    }
    const nodeMs = Date.now() - tNode;
    console.log(`# Node reference: ${expected.length} items in ${secs(nodeMs)} (broker: ${broker.kind} on port ${broker.port})`);

    // 2. The bundle of test code, roam's imports left to roam's manifest modules.
    const tBundle = Date.now();
    const entry = (notes: Record<string, string[]>) => [
      ...files.map((f, i) => `import s${i} from ${JSON.stringify(f)};`),
      `export const scenarios = [${files.map((_, i) => `s${i}`).join(', ')}];`,
      `export const notes = ${JSON.stringify(notes)};`,
      `export const env = ${JSON.stringify(env)};`,
      `export { DEVICE_CHECKS as checks } from ${JSON.stringify(join(HERE, 'checks.ts'))};`,
      `export { RamFlash } from ${JSON.stringify(join(HERE, 'ram-flash.ts'))};`,
      `export { VirtualClock } from ${JSON.stringify(join(ROOT, 'host-sim', 'hal', 'virtual-clock.ts'))};`,
      `export { SeededRandom } from ${JSON.stringify(join(ROOT, 'host-sim', 'hal', 'seeded-random.ts'))};`,
    ].join('\n');
    const first = await bundleForDevice(entry({}));
    const notes = Object.fromEntries(files.map((f) => [names[f], scenarioNotes(first.metafile, f)]));
    const bundle = await bundleForDevice(entry(notes));
    writeFileSync(join(BUILD_DIR, 'roam-device-tests.js'), bundle.code);
    const externals = new Set(Object.values(bundle.metafile.inputs).flatMap((i) => i.imports.filter((m) => m.external).map((m) => m.path)));
    console.log(`# bundle: ${bundle.code.length} bytes, ${Object.keys(bundle.metafile.inputs).length} files bundled, ${externals.size} roam/package modules left to the manifest (${secs(Date.now() - tBundle)})`);

    // 3. mcconfig: tsc, xsc, xsl and the C compile of mc.so.
    const tBuild = Date.now();
    const buildLog = join(BUILD_DIR, 'mcconfig-test-app.log');
    const out = join(BUILD_DIR, 'test-app');
    mkdirSync(out, { recursive: true });
    const args = ['-i', '-m', '-p', 'lin', '-o', out, join(APP, 'manifest.json')];
    console.log(`# mcconfig ${args.join(' ')}`);
    // mcconfig runs make once; tsc (one run per module), xsc and cc parallelize over the cores.
    const { code, out: log } = await run('mcconfig', args, { ...sdk.env, MAKEFLAGS: process.env.MAKEFLAGS ?? `-j${availableParallelism()}` });
    writeFileSync(buildLog, log);
    const buildMs = Date.now() - tBuild;
    const mcso = findFile(join(out, 'bin'), 'mc.so');
    if (code !== 0 || !mcso) {
      const tail = spawnSync('tail', ['-n', '60', buildLog], { encoding: 'utf8' }).stdout;
      console.log(tail);
      console.log(`test:device: FAILED: the lin build failed (exit ${code}) after ${secs(buildMs)}; full log: ${buildLog}`);
      return 1;
    }
    console.log(`# built ${mcso} in ${secs(buildMs)}`);

    // 4. mcsim.
    const simLog = join(BUILD_DIR, 'mcsim.log');
    console.log(`# stdbuf -oL xvfb-run -a ${mcsim} ${mcso}`);
    const sim = await runMcsim(mcsim, mcso, timeoutS * 1000, simLog, (l) => { if (l.startsWith('@roam ') && !l.startsWith('@roam hex ')) console.log(`  ${l.slice(6)}`); });
    const device = parseDeviceOutput(sim.lines);
    const report = compareRuns(expected, device, sim.finished);
    console.log('');
    console.log(report.table);
    console.log('');
    console.log(`# times: Node reference ${secs(nodeMs)}, mcconfig build ${secs(buildMs)}, mcsim ${secs(sim.ms)} (${sim.finished ? 'finished' : `NOT finished: killed after ${timeoutS} s`}), total ${secs(Date.now() - t0)}`);
    if (device.boot) console.log(`# XS heap after boot (before the test bundle loads): ${device.boot}; after it loads: ${device.loaded ?? '?'}`);
    if (device.peaks.size) console.log(`# mcsim peaks (instrumented build, sampled each second): ${['Chunk used', 'Chunk available', 'Slot used', 'Slot available', 'Stack used', 'Stack available', 'Garbage collections'].map((k) => `${k} ${device.peaks.get(k) ?? '?'}`).join(', ')}`);
    console.log(`# MQTT peer echoed ${peer.seen} payloads (Node and device together)`);
    if (report.failures.length) {
      console.log(`test:device: FAILED: ${report.failures.length} of ${expected.length}: ${report.failures.join('; ')}`);
      console.log(`# mcsim output: ${simLog}`);
      return 1;
    }
    console.log(`test:device: ${expected.length} of ${expected.length} equal to Node on mcsim (${basename(mcso)} from roam's includable manifest)`);
    return (await exampleDay(sdk, mcsim, timeoutS)) ? 0 : 1;
  } finally {
    await peer.close();
    await broker.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof UsageError) { console.error(`test:device: ${e.message}\n\n${HELP}`); process.exit(2); }
    console.error(`test:device: FAILED: ${(e as Error)?.stack ?? e}`);
    process.exit(1);
  },
);
