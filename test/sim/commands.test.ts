// npm start and npm run fleet as a user runs them: bad input is refused with
// one line naming the option and its rule (exit 2), --help works, an
// unreachable broker ends the run naming its URL (exit 4: as in roam's scheme,
// something the command needs is not available), the fleet's time limit ends
// it with one line naming --limit-seconds (exit 1). No stack trace.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../host-sim/broker/index.js';
import { parseOptions, RunError, UsageError } from '../../host-sim/sim/args.js';
import { runFleet } from '../../host-sim/sim/fleet.js';
import { startMosquitto } from '../../host-sim/sim/reach.js';
import { runSite, SITE_OPTIONS } from '../../host-sim/sim/site.js';
import { ROOT } from '../../host-sim/xs/bundle.js';

function run(script: string, ...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, script.includes('/') ? script : `host-sim/sim/${script}`), ...args], { cwd: ROOT, env: { ...process.env, CI: '1' } });
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('close', (code) => resolve({ code, out, err }));
  });
}

const noTrace = (r: { out: string; err: string }) => expect(`${r.out}${r.err}`).not.toMatch(/\n\s+at |Error:|node:internal/);

describe('npm start: each option\'s rule', () => {
  const refused: Array<[string[], string]> = [
    [['--chargers', 'abc'], '--chargers must be an integer from 1 to 100, got "abc"'],
    [['--chargers', '0'], '--chargers must be an integer from 1 to 100, got "0"'],
    [['--chargers', '2.5'], '--chargers must be an integer from 1 to 100, got "2.5"'],
    [['--chargers'], '--chargers needs a value: an integer from 1 to 100'],
    [['--tokens', '7'], '--tokens must be an integer from 100 to 40,000, got "7"'],
    [['--outage-hours', '14'], '--outage-hours must be a number of hours from 0 to 13 (the outage starts at 10:00 and ends before midnight), got "14"'],
    [['--seed=-1'], '--seed must be an integer from 0 to 1,000,000, got "-1"'],
    [['--broker', 'localhost:1883'], '--broker must be an MQTT URL, mqtt://host:port (or mqtts://, ws://, wss://), got "localhost:1883"'],
    [['--html', ''], '--html must be a file path, got ""'],
    [['--chargrs', '2'], 'unknown option --chargrs: options are --chargers --tokens --outage-hours --broker --seed --html --dump'],
    [['4'], 'unexpected argument "4": options are --chargers --tokens --outage-hours --broker --seed --html --dump'],
  ];
  it.each(refused)('%j', (args, message) => {
    expect(() => parseOptions(args, SITE_OPTIONS)).toThrow(UsageError);
    expect(() => parseOptions(args, SITE_OPTIONS)).toThrow(message);
  });

  it('takes what the rules allow', () => {
    expect(parseOptions(['--chargers', '100', '--outage-hours=0.5', '--broker', 'mqtts://b.example:8883', '--dump', 'out'], SITE_OPTIONS))
      .toEqual({ chargers: 100, tokens: 5000, outageHours: 0.5, broker: 'mqtts://b.example:8883', seed: 1, html: 'roam-day.html', dump: 'out' });
    expect(parseOptions(['--tokens', '1', '--help'], SITE_OPTIONS)).toBe('help');
  });
});

describe.concurrent('npm start, fleet, fuzz and bench as commands: bad input', () => {
  const refused: Array<[string, string[], RegExp]> = [
    ['main.ts', ['--chargers', 'abc'], /^npm start: --chargers must be an integer from 1 to 100, got "abc" \(npm start -- --help\)\n$/],
    ['fleet.ts', ['--chargers', 'abc'], /^npm run fleet: --chargers must be an integer from 1 to 20,000, got "abc"/],
    ['fleet.ts', ['--sessions', '0'], /^npm run fleet: --sessions must be an integer from 1 to 100, got "0"/],
    ['fleet.ts', ['--limit-seconds', 'soon'], /^npm run fleet: --limit-seconds must be an integer from 1 to 86,400, got "soon"/],
    ['fleet.ts', ['--broker', 'http://127.0.0.1:1883'], /^npm run fleet: --broker must be an MQTT URL/],
    ['test/fuzz/run.ts', ['--cases', 'many'], /^npm run fuzz: --cases must be an integer from 0 to [\d,]+, got "many" \(npm run fuzz -- --help\)\n$/],
    ['test/fuzz/run.ts', ['--only', 'no-such-target'], /^npm run fuzz: --only no-such-target matches no target; --list shows them/],
    ['bench/run.ts', ['--bogus'], /^npm run bench: Unknown option '--bogus'/],
  ];
  it.each(refused)('%s %j: one line, exit 2', async (script, args, message) => {
    const r = await run(script, ...args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.out).toBe('');
    noTrace(r);
  });

  it.each([['test/fuzz/run.ts', 'npm run fuzz'], ['bench/run.ts', 'npm run bench']])('%s --help', async (script, name) => {
    const r = await run(script, '--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^usage: ${name}`));
    expect(r.out).toMatch(/exit codes: 0 .*2 bad input/s);
  });

  it.each([['main.ts', 'npm start'], ['fleet.ts', 'npm run fleet']])('%s --help: usage, every option with its rule, exit codes', async (script, name) => {
    const r = await run(script, '--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^usage: ${name}`));
    expect(r.out).toMatch(/exit codes: 0 .*; 1 .*; 2 bad input .*; 4 the MQTT broker cannot be\s+reached/s);
    expect(r.out).toContain('--broker');
    if (script === 'fleet.ts') expect(r.out).toMatch(/--limit-seconds\s+time limit of the whole run, in seconds \(default 900\)/);
    noTrace(r);
  });
});

describe.concurrent('npm start and fleet: a broker that cannot be reached', () => {
  it.each([['main.ts', 'npm start'], ['fleet.ts', 'npm run fleet']])('%s: one line naming the URL, exit 4', async (script, name) => {
    const url = `mqtt://127.0.0.1:${await freePort()}`; // nothing listens there
    const r = await run(script, '--broker', url, ...(script === 'fleet.ts' ? ['--chargers', '5'] : []));
    expect(r.code).toBe(4);
    expect(r.err.trim()).toBe(`${name}: cannot reach the MQTT broker at ${url}: ECONNREFUSED (connect ECONNREFUSED ${url.slice(7)})`);
    noTrace(r);
  });

  it('fleet without mosquitto installed: a RunError saying how to install it (exit 4)', async () => {
    const missing = () => { throw new Error('mosquitto is not installed: run `apt-get install -y mosquitto` (the CI script .ci/run installs it)'); };
    await expect(startMosquitto(missing)).rejects.toMatchObject({ name: 'RunError', exitCode: 4, message: expect.stringMatching(/^mosquitto is not installed: run `apt-get install -y mosquitto`/) });
  });

  it('fleet: the time limit ends the run with a RunError naming --limit-seconds (exit 1)', async () => {
    // A limit of 1 ms has passed once mosquitto has started: the first wait gives up.
    const run = runFleet({ chargers: 2, sessions: 1, tokens: 10, limitSeconds: 0.001, log: () => {} });
    await expect(run).rejects.toBeInstanceOf(RunError);
    await expect(run).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringMatching(/^time limit of 0\.001 s \(--limit-seconds\) reached waiting for every charger to connect: [0-2]\/2 connected to mqtt:\/\/127\.0\.0\.1:\d+, list on 0, records 0\/0 acknowledged$/),
    });
  });
});

describe('npm start: the outage option', () => {
  // Before, --outage-hours 0 set the outage at 10:00 and never lifted it (and an
  // outage past midnight was never lifted either): every record after 10:00 was LOST.
  it.each([0, 13])('--outage-hours %d: every record uploaded and verified', async (hours) => {
    const lines: string[] = [];
    const s = await runSite({ chargers: 1, tokens: 100, outageHours: hours, seed: 3, log: (l) => lines.push(l) });
    expect(s.sessionsRecorded).toBeGreaterThan(5);
    expect({ lost: s.lost, verified: s.recordsVerified, problems: s.problems, gaps: s.gaps }).toEqual({ lost: 0, verified: s.sessionsRecorded, problems: 0, gaps: 0 });
    expect(lines.some((l) => l.includes('OUTAGE'))).toBe(hours > 0);
  });
});
