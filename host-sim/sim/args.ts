// Options of `npm start` and `npm run fleet`: each declared with its rule, so a
// bad value is refused with one line naming the option and the rule (exit 2),
// and --help is generated from the same declarations.

export type OptionSpec =
  | { kind: 'int' | 'number'; default: number; min: number; max: number; about: string; rule?: string }
  | { kind: 'url'; default: string; about: string }
  | { kind: 'path'; default: string; about: string; rule: string };

export type Spec = Record<string, OptionSpec>;
export type Values<S extends Spec> = { [K in keyof S]: S[K] extends { kind: 'int' | 'number' } ? number : string };

/** Bad input on the command line: the message names the option and its rule. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const flag = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The rule of an option, as the error and the help say it. */
export function ruleOf(o: OptionSpec): string {
  if (o.kind === 'url') return 'an MQTT URL, mqtt://host:port (or mqtts://, ws://, wss://)';
  if (o.kind === 'path') return o.rule;
  return o.rule ?? `${o.kind === 'int' ? 'an integer' : 'a number'} from ${o.min.toLocaleString('en-US')} to ${o.max.toLocaleString('en-US')}`;
}

function value(name: string, o: OptionSpec, text: string): number | string {
  if (o.kind === 'url') {
    let u: URL | undefined;
    try { u = new URL(text); } catch { /* refused below */ }
    if (!u || !['mqtt:', 'mqtts:', 'ws:', 'wss:'].includes(u.protocol) || !u.hostname) throw new UsageError(`${name} must be ${ruleOf(o)}, got ${JSON.stringify(text)}`);
    return text;
  }
  if (o.kind === 'path') {
    if (text === '' || text.startsWith('--')) throw new UsageError(`${name} must be ${ruleOf(o)}, got ${JSON.stringify(text)}`);
    return text;
  }
  const n = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(n) || (o.kind === 'int' && !Number.isInteger(n)) || n < o.min || n > o.max)
    throw new UsageError(`${name} must be ${ruleOf(o)}, got ${JSON.stringify(text)}`);
  return n;
}

/** Parses `--name value` options (also `--name=value`); 'help' when --help or -h is given. */
export function parseOptions<S extends Spec>(argv: string[], spec: S): Values<S> | 'help' {
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  const out: Record<string, number | string> = {};
  for (const [k, o] of Object.entries(spec)) out[k] = o.default;
  const byFlag = new Map(Object.keys(spec).map((k) => [flag(k), k]));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument ${JSON.stringify(a)}: options are ${[...byFlag.keys()].join(' ')}`);
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    const key = byFlag.get(name);
    if (!key) throw new UsageError(`unknown option ${name}: options are ${[...byFlag.keys()].join(' ')}`);
    const text = eq > 0 ? a.slice(eq + 1) : argv[++i];
    if (text === undefined) throw new UsageError(`${name} needs a value: ${ruleOf(spec[key])}`);
    out[key] = value(name, spec[key], text);
  }
  return out as Values<S>;
}

/** The options part of a --help text. */
export function optionsHelp(spec: Spec): string {
  const rows = Object.entries(spec).map(([k, o]) => {
    const dflt = o.default === '' ? '' : ` (default ${o.default})`;
    return `  ${flag(k).padEnd(18)} ${o.about}${dflt}\n  ${''.padEnd(18)} ${ruleOf(o)}`;
  });
  return rows.join('\n');
}

/** A failure of the environment, not of the input (a broker that cannot be reached, a time limit): one line, its own exit code. */
export class RunError extends Error {
  constructor(message: string, readonly exitCode: number) {
    super(message);
    this.name = 'RunError';
  }
}

/**
 * Runs a command's body; the two failures it expects (bad input, an
 * environment it cannot work in) end in one line on stderr and their exit code.
 * Anything else is a defect and keeps its stack trace.
 */
export async function runCommand(name: string, body: () => Promise<number>): Promise<never> {
  let code: number;
  try {
    code = await body();
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${name}: ${e.message} (${name} -- --help)\n`);
      code = 2;
    } else if (e instanceof RunError) {
      process.stderr.write(`${name}: ${e.message}\n`);
      code = e.exitCode;
    } else throw e;
  }
  process.exit(code);
}
