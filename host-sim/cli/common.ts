import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { checkKey } from './nvs.js';
import { FLASH_SIZES, type FlashSize } from './partitions.js';

export interface Command {
  help: string;
  run(args: string[], out: (line: string) => void, err: (line: string) => void): Promise<number> | number;
}

/** The exit codes of every roam command (docs/device.md, "Exit codes"). */
export const EXIT = { ok: 0, checkFailed: 1, badInput: 2, refused: 3, unavailable: 4, internal: 5 } as const;

/** A failure the technician can act on, with the exit code it ends the command with. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT.checkFailed) {
    super(message);
    this.name = 'CliError';
  }
}

/** Exit 1: what was checked (an image, a signature, a journal) fails. */
export class CheckFailed extends CliError {
  constructor(message: string) { super(message, EXIT.checkFailed); }
}

/** Exit 2: an argument, option or input file breaks a rule; nothing was written. */
export class BadInput extends CliError {
  constructor(message: string) { super(message, EXIT.badInput); }
}

/** Exit 3: the command would destroy or expose something (an identity, a private key) and was not told it may. */
export class Refused extends CliError {
  constructor(message: string) { super(message, EXIT.refused); }
}

/** Exit 4: a tool the command needs (the Moddable SDK) is not there. */
export class Unavailable extends CliError {
  constructor(message: string) { super(message, EXIT.unavailable); }
}

export type Spec = Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean }>;

/**
 * Parses options (strict) and at most `positionals.length` positional
 * arguments; anything else is bad input, named. `command` is for messages.
 */
export function parse<S extends Spec>(command: string, args: string[], spec: S, positionals: readonly string[] = []) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: spec, strict: true, allowPositionals: true });
  } catch (e) {
    const code = (e as { code?: string }).code;
    const option = /'(-[^' ]+)/.exec((e as Error).message)?.[1];
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new BadInput(`unknown option ${option ?? ''} (roam ${command} --help lists its options)`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const takesValue = option && spec[option.replace(/^--?/, '')]?.type === 'string';
      throw new BadInput(takesValue ? `${option} needs a value` : `${option ?? 'an option'} takes no value`);
    }
    throw new BadInput((e as Error).message.split('\n')[0]);
  }
  const extra = parsed.positionals.slice(positionals.length);
  if (extra.length) {
    const first = extra[0];
    const takes = positionals.length ? `takes at most ${positionals.join(' and ')} besides options` : 'takes options only';
    const why = /^\[.*\]$/.test(first)
      ? `: brackets in a usage line mark an optional part; type ${first.slice(1, -1)} without them`
      : '';
    throw new BadInput(`unexpected argument ${JSON.stringify(first)}: roam ${command} ${takes}${why}`);
  }
  return parsed;
}

/** --flash: one of roam's partition tables. */
export function flashOption(value: string): FlashSize {
  if (!FLASH_SIZES.includes(value as FlashSize)) throw new BadInput(`--flash must be one of ${FLASH_SIZES.join(', ')}, got ${JSON.stringify(value)}`);
  return value as FlashSize;
}

/** --domain: the preference domain, an NVS namespace. */
export function domainOption(value: string): string {
  try {
    checkKey(value, 'namespace');
  } catch (e) {
    throw new BadInput(`--domain: ${(e as Error).message}`);
  }
  return value;
}

export function hexBytes(value: string, what: string, length?: number): Uint8Array {
  const clean = value.replace(/^0x/i, '').replace(/[\s:]/g, '');
  if (!/^([0-9a-fA-F]{2})+$/.test(clean)) throw new BadInput(`${what} must be hex bytes`);
  const bytes = new Uint8Array(Buffer.from(clean, 'hex'));
  if (length !== undefined && bytes.length !== length) throw new BadInput(`${what} must be ${length} bytes, got ${bytes.length}`);
  return bytes;
}

/** Why a file operation failed, in words (the errno code in brackets). */
export function ioReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const words: Record<string, string> = {
    ENOENT: 'no such file or directory', ENOTDIR: 'a file is in the way of a directory', EISDIR: 'it is a directory',
    EACCES: 'permission denied', EPERM: 'operation not permitted', EROFS: 'read-only file system', ENOSPC: 'no space left on the device',
    EEXIST: 'something else is already there', EDQUOT: 'disk quota exceeded', ENAMETOOLONG: 'the name is too long', ELOOP: 'too many symbolic links',
  };
  return code ? `${words[code] ?? (e as Error).message} (${code})` : (e as Error).message;
}

/** Reads an input file the user named; a missing or unreadable one is bad input. */
export function readInput(file: string, what: string): Buffer {
  if (!file) throw new BadInput(`${what}: no file named`);
  if (!existsSync(file)) throw new BadInput(`${what}: no such file: ${file}`);
  if (statSync(file).isDirectory()) throw new BadInput(`${what}: ${file} is a directory, not a file`);
  try {
    return readFileSync(file);
  } catch (e) {
    throw new BadInput(`${what}: cannot read ${file}: ${ioReason(e)}`);
  }
}

/**
 * Makes `dir` (and its missing parents) an output directory, one level at a
 * time so that every failure is named (mkdirSync's recursive mode loops for
 * ever on some file systems, e.g. /proc): bad input (exit 2) when it cannot be.
 */
export function outputDir(dir: string, option: string): string {
  const full = resolve(dir);
  const missing: string[] = [];
  let at = full;
  while (!existsSync(at)) {
    missing.unshift(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  if (existsSync(at) && !statSync(at).isDirectory()) throw new BadInput(`${option} ${dir}: ${at} is a file, not a directory`);
  for (const level of missing) {
    try {
      mkdirSync(level);
    } catch (e) {
      // ENOENT under a parent that exists: a file system that takes no new entries (/proc, /sys).
      const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? `${dirname(level)} takes no new directories (ENOENT)` : ioReason(e);
      throw new BadInput(`${option} ${dir}: cannot create ${level}: ${reason}`);
    }
  }
  try {
    accessSync(full, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new BadInput(`${option} ${dir}: cannot write there: ${ioReason(e)}`);
  }
  return full;
}

/**
 * Writes files all or none: each to a temporary name first (with `mode`, so a
 * private key is never readable by others even for a moment), then renamed.
 * A failure removes what it wrote and is bad input naming `option`.
 */
export function writeOutputs(dir: string, option: string, files: Array<{ name: string; data: string | Uint8Array; mode?: number }>): void {
  const temps: string[] = [];
  try {
    for (const f of files) {
      const tmp = join(dir, `.${f.name}.${process.pid}.tmp`);
      temps.push(tmp);
      writeFileSync(tmp, f.data, { mode: f.mode ?? 0o644, flag: 'wx' });
    }
    files.forEach((f, i) => renameSync(temps[i], join(dir, f.name)));
  } catch (e) {
    for (const t of temps) rmSync(t, { force: true });
    throw new BadInput(`${option} ${dir}: cannot write there: ${ioReason(e)}`);
  }
}

/** The git work tree holding `path` (or its nearest existing parent), if any. */
export function gitWorkTree(path: string): string | undefined {
  let at = resolve(path);
  for (;;) {
    if (existsSync(join(at, '.git'))) return at;
    const up = dirname(at);
    if (up === at) return undefined;
    at = up;
  }
}
