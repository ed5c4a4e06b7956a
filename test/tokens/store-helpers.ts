// Helpers the token-store tests share: a full image applied the way the list
// client streams it, and a refusal checked by its code.
import { expect } from 'vitest';
import { TokenUpdateError, type TokenStore, type TokenUpdateErrorCode } from '../../src/tokens/index.js';

/** Begins a full transfer of `bytes`, writes it in chunks of `chunk` bytes (one by default) and commits; returns the version. */
export function applyFull(store: TokenStore, bytes: Uint8Array, chunk = Infinity): number {
  store.beginFull(bytes.length);
  for (let o = 0; o < bytes.length; o += chunk) store.writeChunk(o, bytes.subarray(o, o + chunk));
  return store.commit();
}

/** Runs `f`, which must throw a TokenUpdateError with `code`; returns that error. */
export function rejects(code: TokenUpdateErrorCode, f: () => unknown): TokenUpdateError {
  let thrown: unknown;
  try { f(); } catch (e) { thrown = e; }
  expect(thrown, `expected ${code}`).toBeInstanceOf(TokenUpdateError);
  expect((thrown as TokenUpdateError).code).toBe(code);
  return thrown as TokenUpdateError;
}
