// npm run fuzz [-- --cases N] [--only NAME[,NAME…]] [--seed S] [--jobs J] [--strict] [--stall SECONDS] [--no-exhaustive] [--list]
//
// Runs every fuzz target (test/fuzz/targets.ts, and test/fuzz/xs-targets.ts inside XS) for N random cases after its
// hostile seeds (default 1,000,000 per target; fewer where a target caps them)
// and, for a target with a finite space (sessions.journal-windows: every pair
// of damage windows), every input of it unless --no-exhaustive; each target in its own child
// process with a stall watchdog: a case that does not return within --stall
// seconds (default 60) is reported as a HANG with the seed to replay it.
// Prints, per target: cases run, accepted/rejected, failures, time, the largest
// input accepted, and hits of known defects in code this suite does not own.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Progress } from '../../host-sim/progress.js';
import { fuzzOptions, KNOWN_DEFECTS, knownHits, runTarget, target, TARGETS, type FuzzResult } from './targets.js';
import { XS_TARGETS } from './xs-targets.js';

interface ChildReport { kind: 'progress'; done: number }
interface ChildTotal { kind: 'total'; total: number }
interface ChildDone { kind: 'done'; result: FuzzResult; known: Record<string, number> }

async function child(name: string, cases: number, seed: number, strict: boolean, exhaustive: boolean): Promise<void> {
  fuzzOptions.strict = strict;
  const xs = XS_TARGETS.find((x) => x.name === name);
  if (xs) {
    process.send!({ kind: 'total', total: Math.min(cases, xs.maxCases) } satisfies ChildTotal);
    const result = await xs.run(cases, seed, (done) => process.send!({ kind: 'progress', done } satisfies ChildReport));
    await new Promise<void>((r) => process.send!({ kind: 'done', result, known: {} } satisfies ChildDone, undefined, {}, () => r()));
    return;
  }
  // What the target will run: its seeds, its finite space (counted here, not kept), its random cases.
  const t = target(name);
  let total = t.seeds().length + Math.min(cases, t.maxCases ?? Infinity);
  if (exhaustive && t.exhaustive) for (const _ of t.exhaustive()) total++;
  process.send!({ kind: 'total', total } satisfies ChildTotal);
  const result = runTarget(target(name), cases, seed, (done) => process.send!({ kind: 'progress', done } satisfies ChildReport), exhaustive);
  await new Promise<void>((r) => process.send!({ kind: 'done', result, known: knownHits } satisfies ChildDone, undefined, {}, () => r()));
}

function runInChild(name: string, cases: number, seed: number, strict: boolean, stallMs: number, exhaustive: boolean, bar: Progress): Promise<ChildDone | { kind: 'hang' | 'crash'; name: string; done: number; detail: string }> {
  return new Promise((resolve) => {
    const c = fork(fileURLToPath(import.meta.url), ['--child', name, '--cases', String(cases), '--seed', String(seed), ...(strict ? ['--strict'] : []), ...(exhaustive ? [] : ['--no-exhaustive'])], { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    let done = 0;
    let last = Date.now();
    let finished: ChildDone | undefined;
    let stderr = '';
    c.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    const watchdog = setInterval(() => {
      if (Date.now() - last > stallMs) {
        clearInterval(watchdog);
        c.kill('SIGKILL');
        resolve({ kind: 'hang', name, done, detail: `no progress for ${stallMs / 1000} s after ${done} cases (progress is reported every 1,000 cases): replay with --only ${name} --seed ${seed} and a --cases around ${done + 1000}` });
      }
    }, 1000);
    c.on('message', (m: ChildReport | ChildTotal | ChildDone) => {
      last = Date.now();
      if (m.kind === 'total') bar.stage(`fuzz ${name}`, m.total);
      else if (m.kind === 'progress') bar.update((done = m.done));
      else finished = m;
    });
    c.on('exit', (code, signal) => {
      clearInterval(watchdog);
      bar.end();
      if (finished) resolve(finished);
      else if (signal !== 'SIGKILL') resolve({ kind: 'crash', name, done, detail: `child exited (code ${code}, signal ${signal}): ${stderr}` });
    });
  });
}

const fmt = (n: number) => n.toLocaleString('en-US');

const HELP = `usage: npm run fuzz [-- options]

Runs every fuzz target (test/fuzz/targets.ts): its hostile seeds, every input
of its finite space where it has one, then N random cases; each target in its
own child process with a stall watchdog. Prints one line per target (cases,
accepted/rejected, failures, time, largest input accepted, known defects hit).
On a terminal a progress line per target (cases done/total, rate, time left)
is drawn; never in CI or a pipe.

  --cases N          random cases per target (default 1,000,000; fewer where a target caps them)
  --only NAME[,…]    targets whose name is, starts with or contains NAME (--list shows them)
  --seed S           the seed of the random cases (default: from the clock, printed)
  --jobs J           targets run at a time, 1 to 64 (default 1)
  --stall SECONDS    a target silent this long is reported as a HANG (default 60)
  --strict           hits of known defects fail the target
  --no-exhaustive    skip the finite spaces
  --list             the targets and what each checks

exit codes: 0 every target held; 1 a target failed, hung or crashed; 2 bad input.`;

/** Bad input on the command line: one line, exit 2. */
function usage(message: string): never {
  console.error(`npm run fuzz: ${message} (npm run fuzz -- --help)`);
  process.exit(2);
}

function integer(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max) usage(`--${name} must be an integer from ${fmt(min)} to ${fmt(max)}, got ${JSON.stringify(text)}`);
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        cases: { type: 'string', default: '1000000' }, only: { type: 'string' }, seed: { type: 'string' }, jobs: { type: 'string', default: '1' },
        strict: { type: 'boolean', default: false }, stall: { type: 'string', default: '60' }, list: { type: 'boolean', default: false }, child: { type: 'string' },
        'no-exhaustive': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (e) {
    usage((e as Error).message);
  }
  if (values.help) {
    console.log(HELP);
    return;
  }
  const cases = integer('cases', values.cases!, 0, Number.MAX_SAFE_INTEGER);
  const seed = values.seed !== undefined ? integer('seed', values.seed, -0x80000000, 0x7fffffff) : Date.now() % 0x7fffffff;
  const jobs = integer('jobs', values.jobs!, 1, 64);
  const stall = integer('stall', values.stall!, 1, 86_400);
  if (values.child) return child(values.child, cases, seed, values.strict!, !values['no-exhaustive']);
  if (values.list) {
    for (const t of [...TARGETS, ...XS_TARGETS]) console.log(`${t.name}\n    ${t.about}`);
    return;
  }
  const wanted = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
  const chosen = [...TARGETS, ...XS_TARGETS].filter((t) => !wanted || wanted.some((w) => t.name === w || t.name.startsWith(`${w}.`) || t.name.includes(w)));
  if (chosen.length === 0) usage(`--only ${values.only} matches no target; --list shows them`);
  console.log(`fuzz: ${chosen.length} targets × ${fmt(cases)} cases (after their seeds), seed ${seed}, ${values.jobs} at a time${values.strict ? ', strict (known defects fail)' : ''}`);
  const queue = [...chosen];
  const results: Array<ChildDone | { kind: 'hang' | 'crash'; name: string; done: number; detail: string }> = [];
  const started = Date.now();
  // One progress line per running target (they share the terminal's line); cleared before each result.
  const bars: Progress[] = [];
  const say = (line: string) => { for (const b of bars) b.end(); console.log(line); };
  const worker = async () => {
    const bar = new Progress('fuzz', 0, { unit: 'cases' });
    bars.push(bar);
    for (let t = queue.shift(); t; t = queue.shift()) {
      const r = await runInChild(t.name, cases, seed, values.strict!, stall * 1000, !values['no-exhaustive'], bar);
      results.push(r);
      if (r.kind === 'done') {
        const x = r.result;
        const hits = Object.entries(r.known).map(([k, n]) => `${k}×${fmt(n)}`).join(' ');
        say(`${x.failure ? 'FAIL' : 'ok  '} ${x.name.padEnd(22)} ${fmt(x.cases).padStart(11)} cases  ${(x.ms / 1000).toFixed(1).padStart(7)} s  accepted ${fmt(x.accepted).padStart(9)}  rejected ${fmt(x.rejected).padStart(9)}  largest accepted ${fmt(x.largestAccepted).padStart(7)} B${hits ? `  known: ${hits}` : ''}`);
        if (x.failure) say(`     ${x.failure.split('\n').join('\n     ')}`);
      } else {
        say(`${r.kind.toUpperCase()} ${r.name}: ${r.detail}`);
      }
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  const failed = results.filter((r) => r.kind !== 'done' || r.result.failure);
  const allKnown = new Set(results.flatMap((r) => (r.kind === 'done' ? Object.keys(r.known) : [])));
  for (const k of allKnown) console.log(`known defect ${k}: ${KNOWN_DEFECTS[k]}`);
  console.log(`fuzz: ${results.length - failed.length}/${results.length} targets held, ${((Date.now() - started) / 1000).toFixed(0)} s wall`);
  process.exitCode = failed.length ? 1 : 0;
}

await main();
