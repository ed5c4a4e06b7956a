// npm run fuzz [-- --cases N] [--only NAME[,NAME…]] [--seed S] [--jobs J] [--strict] [--stall SECONDS] [--no-exhaustive] [--list]
//
// Runs every fuzz target (test/fuzz/targets.ts) for N random cases after its
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
import { fuzzOptions, KNOWN_DEFECTS, knownHits, runTarget, target, TARGETS, type FuzzResult } from './targets.js';

interface ChildReport { kind: 'progress'; done: number }
interface ChildDone { kind: 'done'; result: FuzzResult; known: Record<string, number> }

async function child(name: string, cases: number, seed: number, strict: boolean, exhaustive: boolean): Promise<void> {
  fuzzOptions.strict = strict;
  const result = runTarget(target(name), cases, seed, (done) => process.send!({ kind: 'progress', done } satisfies ChildReport), exhaustive);
  await new Promise<void>((r) => process.send!({ kind: 'done', result, known: knownHits } satisfies ChildDone, undefined, {}, () => r()));
}

function runInChild(name: string, cases: number, seed: number, strict: boolean, stallMs: number, exhaustive: boolean): Promise<ChildDone | { kind: 'hang' | 'crash'; name: string; done: number; detail: string }> {
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
    c.on('message', (m: ChildReport | ChildDone) => {
      last = Date.now();
      if (m.kind === 'progress') done = m.done;
      else finished = m;
    });
    c.on('exit', (code, signal) => {
      clearInterval(watchdog);
      if (finished) resolve(finished);
      else if (signal !== 'SIGKILL') resolve({ kind: 'crash', name, done, detail: `child exited (code ${code}, signal ${signal}): ${stderr}` });
    });
  });
}

const fmt = (n: number) => n.toLocaleString('en-US');

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string', default: '1000000' }, only: { type: 'string' }, seed: { type: 'string' }, jobs: { type: 'string', default: '1' },
      strict: { type: 'boolean', default: false }, stall: { type: 'string', default: '60' }, list: { type: 'boolean', default: false }, child: { type: 'string' },
      'no-exhaustive': { type: 'boolean', default: false },
    },
  });
  const cases = Number(values.cases);
  const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 0x7fffffff;
  if (values.child) return child(values.child, cases, seed, values.strict!, !values['no-exhaustive']);
  if (values.list) {
    for (const t of TARGETS) console.log(`${t.name}\n    ${t.about}`);
    return;
  }
  const wanted = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
  const chosen = TARGETS.filter((t) => !wanted || wanted.some((w) => t.name === w || t.name.startsWith(`${w}.`) || t.name.includes(w)));
  if (chosen.length === 0) throw new Error(`--only ${values.only} matches no target; --list shows them`);
  console.log(`fuzz: ${chosen.length} targets × ${fmt(cases)} cases (after their seeds), seed ${seed}, ${values.jobs} at a time${values.strict ? ', strict (known defects fail)' : ''}`);
  const queue = [...chosen];
  const results: Array<ChildDone | { kind: 'hang' | 'crash'; name: string; done: number; detail: string }> = [];
  const started = Date.now();
  const worker = async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      const r = await runInChild(t.name, cases, seed, values.strict!, Number(values.stall) * 1000, !values['no-exhaustive']);
      results.push(r);
      if (r.kind === 'done') {
        const x = r.result;
        const hits = Object.entries(r.known).map(([k, n]) => `${k}×${fmt(n)}`).join(' ');
        console.log(`${x.failure ? 'FAIL' : 'ok  '} ${x.name.padEnd(22)} ${fmt(x.cases).padStart(11)} cases  ${(x.ms / 1000).toFixed(1).padStart(7)} s  accepted ${fmt(x.accepted).padStart(9)}  rejected ${fmt(x.rejected).padStart(9)}  largest accepted ${fmt(x.largestAccepted).padStart(7)} B${hits ? `  known: ${hits}` : ''}`);
        if (x.failure) console.log(`     ${x.failure.split('\n').join('\n     ')}`);
      } else {
        console.log(`${r.kind.toUpperCase()} ${r.name}: ${r.detail}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Number(values.jobs)) }, worker));
  const failed = results.filter((r) => r.kind !== 'done' || r.result.failure);
  const allKnown = new Set(results.flatMap((r) => (r.kind === 'done' ? Object.keys(r.known) : [])));
  for (const k of allKnown) console.log(`known defect ${k}: ${KNOWN_DEFECTS[k]}`);
  console.log(`fuzz: ${results.length - failed.length}/${results.length} targets held, ${((Date.now() - started) / 1000).toFixed(0)} s wall`);
  process.exitCode = failed.length ? 1 : 0;
}

await main();
