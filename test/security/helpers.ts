import { NodeSigner, nodeCrypto, SimFlash } from '../../host-sim/hal/index.js';
import { Journal, type SessionFacts } from '../../src/sessions/index.js';
import { facts } from '../sessions/helpers.js';

/** `n` signed records of `deviceId`, as its journal hands them to the uploader. */
export function signedRecords(deviceId: string, signer: NodeSigner, n: number, make: (i: number) => SessionFacts = facts) {
  const flash = new SimFlash('journal', 64 * 1024);
  const j = new Journal(flash, { crypto: nodeCrypto, deviceId, signer });
  j.recover();
  for (let i = 0; i < n; i++) j.append(make(i));
  j.signPending();
  return j.readFrom(1, Infinity);
}

/** Waits for `cond`, failing with `what` after `ms` (a liveness bound, not a timing assertion). */
export async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
