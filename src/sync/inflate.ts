import { Inflate } from 'fflate';
import { SyncDecodeError } from './errors.js';

/** DEFLATE's best ratio: one input byte never yields more than this many output bytes. */
const MAX_RATIO = 1032;

/**
 * Raw-DEFLATE decompression that stops as soon as the output passes `maxBytes`:
 * a deflate bomb is refused having produced at most maxBytes plus one small
 * slice, never its full size. Input is fed in slices sized from the room
 * left, so no single step of the streaming inflater can overshoot by much.
 */
export function inflateBounded(compressed: Uint8Array, maxBytes: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let produced = 0;
  let ended = false;
  const inflater = new Inflate((chunk, final) => {
    produced += chunk.length;
    if (produced > maxBytes) throw new SyncDecodeError('too-large', `decompresses past ${maxBytes} bytes`);
    if (chunk.length) parts.push(chunk);
    if (final) ended = true;
  });
  let pos = 0;
  try {
    while (pos < compressed.length) {
      const room = Math.max(0, maxBytes - produced);
      const slice = Math.min(4096, Math.max(64, Math.floor(room / MAX_RATIO) + 1));
      const end = Math.min(compressed.length, pos + slice);
      inflater.push(compressed.subarray(pos, end), end === compressed.length);
      pos = end;
    }
    if (compressed.length === 0) inflater.push(compressed, true);
  } catch (e) {
    if (e instanceof SyncDecodeError) throw e;
    throw new SyncDecodeError('malformed', `bad deflate data (${(e as Error).message})`);
  }
  if (!ended) throw new SyncDecodeError('malformed', 'deflate stream truncated');
  const out = new Uint8Array(produced);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}
