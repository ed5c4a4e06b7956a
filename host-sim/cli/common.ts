import { parseArgs } from 'node:util';

export interface Command {
  help: string;
  run(args: string[], out: (line: string) => void): Promise<number> | number;
}

/** A failure the technician can act on; exit codes: 2 usage, 3 refused, 4 not available, 1 otherwise. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

export type Spec = Record<string, { type: 'string' | 'boolean'; short?: string; default?: string | boolean }>;

export function parse<S extends Spec>(args: string[], spec: S) {
  try {
    return parseArgs({ args, options: spec, strict: true, allowPositionals: true });
  } catch (e) {
    throw new CliError((e as Error).message, 2);
  }
}

export function hexBytes(value: string, what: string, length?: number): Uint8Array {
  const clean = value.replace(/^0x/i, '').replace(/[\s:]/g, '');
  if (!/^([0-9a-fA-F]{2})+$/.test(clean)) throw new CliError(`${what} must be hex bytes`, 2);
  const bytes = new Uint8Array(Buffer.from(clean, 'hex'));
  if (length !== undefined && bytes.length !== length) throw new CliError(`${what} must be ${length} bytes, got ${bytes.length}`, 2);
  return bytes;
}
