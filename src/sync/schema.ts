import { SyncDecodeError } from './errors.js';

// Field readers for decoded CBOR maps: each refuses with a SyncDecodeError
// naming the field, so a bad message is reported precisely and never half-used.
export type Fields = Record<string, unknown>;

export function asMap(value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array)
    throw new SyncDecodeError('schema', `${what} is not a map`);
  return value as Fields;
}

export function uint(m: Fields, key: string, max = Number.MAX_SAFE_INTEGER): number {
  const v = m[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max)
    throw new SyncDecodeError('schema', `field ${key} must be an integer in 0..${max}`);
  return v;
}

export function optUint(m: Fields, key: string, max?: number): number | undefined {
  return m[key] === undefined ? undefined : uint(m, key, max);
}

export function text(m: Fields, key: string, maxLength: number): string {
  const v = m[key];
  if (typeof v !== 'string' || v.length > maxLength) throw new SyncDecodeError('schema', `field ${key} must be text of at most ${maxLength} characters`);
  return v;
}

export function optText(m: Fields, key: string, maxLength: number): string | undefined {
  return m[key] === undefined ? undefined : text(m, key, maxLength);
}

export function oneOf<T extends string>(m: Fields, key: string, values: readonly T[]): T {
  const v = m[key];
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v))
    throw new SyncDecodeError('schema', `field ${key} must be one of ${values.join(', ')}`);
  return v as T;
}

export function bytes(m: Fields, key: string, maxLength: number): Uint8Array {
  const v = m[key];
  if (!(v instanceof Uint8Array) || v.length > maxLength) throw new SyncDecodeError('schema', `field ${key} must be a byte string of at most ${maxLength} bytes`);
  return v;
}

export function bool(m: Fields, key: string): boolean {
  const v = m[key];
  if (typeof v !== 'boolean') throw new SyncDecodeError('schema', `field ${key} must be true or false`);
  return v;
}

export function list<T>(m: Fields, key: string, maxLength: number, item: (v: unknown, i: number) => T): T[] {
  const v = m[key];
  if (!Array.isArray(v) || v.length > maxLength) throw new SyncDecodeError('schema', `field ${key} must be an array of at most ${maxLength} items`);
  return v.map(item);
}
