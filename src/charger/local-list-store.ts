import type { FlashRegion } from '../../hal/flash.js';
import { LocalList, LocalListError } from '../auth/index.js';
import { crc32, put32, u32 } from '../codec/index.js';

// The OCPP local list must survive reboots, and it outgrows an NVS value
// (4,000 bytes) at about a hundred entries. So it lives in a flash region of
// its own, as two banks (each half the region): an update is written whole
// into the bank not in force, payload first and header last. The header
// carries a generation, the list version and CRCs of itself and of the
// payload; at boot the valid bank with the highest generation wins. A cut
// anywhere in an update leaves the bank in force untouched: the old list or
// the new one, never a mix.

const MAGIC = 0x534c4c52; // "RLLS", little-endian
const FORMAT = 1;
/** Header bytes: magic u32, format u8, 3 × 0xFF, generation u32, list version u32, payload length u32, payload CRC u32, 4 × 0xFF, header CRC u32. */
export const LOCAL_LIST_HEADER_BYTES = 32;

export class LocalListStoreError extends Error {
  constructor(readonly code: 'bad-region' | 'too-large', message: string) {
    super(message);
    // Defined, not assigned: on a device preloading freezes Error.prototype, and
    // `this.name = …` then throws ("set name: not writable") instead of naming the error.
    Object.defineProperty(this, 'name', { value: 'LocalListStoreError', writable: true, enumerable: true, configurable: true });
  }
}

interface Bank { index: number; generation: number; listVersion: number; length: number }

export class LocalListStore {
  private readonly bankBytes: number;
  private readonly blocksPerBank: number;
  private inForce?: Bank;
  /** Banks found damaged or torn at the last load (a cut update leaves one). */
  damagedBanks = 0;

  constructor(private readonly region: FlashRegion, private readonly maxEntries?: number) {
    const blocks = region.byteLength / region.blockSize;
    if (!Number.isInteger(blocks) || blocks < 2 || blocks % 2 !== 0)
      throw new LocalListStoreError('bad-region', `local list region ${region.name} needs an even number (≥ 2) of flash blocks`);
    this.blocksPerBank = blocks / 2;
    this.bankBytes = this.blocksPerBank * region.blockSize;
  }

  /** Largest encoded list one bank holds. */
  get capacity(): number {
    return this.bankBytes - LOCAL_LIST_HEADER_BYTES;
  }

  /** The list in force (empty when none was ever stored, or nothing valid is left). */
  load(): LocalList {
    this.inForce = undefined;
    this.damagedBanks = 0;
    let best: { bank: Bank; list: LocalList } | undefined;
    for (let index = 0; index < 2; index++) {
      const found = this.readBank(index);
      if (found === 'empty') continue;
      if (!found) {
        this.damagedBanks++;
        continue;
      }
      if (!best || found.bank.generation > best.bank.generation) best = found;
    }
    if (!best) return new LocalList(this.maxEntries);
    this.inForce = best.bank;
    return best.list;
  }

  /** Version of the list in force; 0 = none stored. */
  get version(): number {
    return this.inForce?.listVersion ?? 0;
  }

  /**
   * Stores `encoded` (LocalList.encode() bytes of version `listVersion`) as the
   * list in force. Checks the size before touching flash.
   */
  save(encoded: Uint8Array, listVersion: number): void {
    if (encoded.length > this.capacity)
      throw new LocalListStoreError('too-large', `local list of ${encoded.length} bytes does not fit ${this.region.name} (${this.capacity} bytes per bank)`);
    const index = this.inForce ? 1 - this.inForce.index : 0;
    const base = index * this.bankBytes;
    for (let b = 0; b < this.blocksPerBank; b++) this.region.erase(index * this.blocksPerBank + b);
    if (encoded.length > 0) this.region.write(base + LOCAL_LIST_HEADER_BYTES, encoded);
    const bank: Bank = { index, generation: (this.inForce?.generation ?? 0) + 1, listVersion, length: encoded.length };
    this.region.write(base, header(bank, crc32(encoded))); // the commit
    this.inForce = bank;
  }

  private readBank(index: number): { bank: Bank; list: LocalList } | 'empty' | undefined {
    const base = index * this.bankBytes;
    const h = this.region.read(base, LOCAL_LIST_HEADER_BYTES);
    if (isErased(h)) return 'empty';
    if (u32(h, 0) !== MAGIC || h[4] !== FORMAT || u32(h, 28) !== crc32(h, 0, 28)) return undefined;
    const bank: Bank = { index, generation: u32(h, 8), listVersion: u32(h, 12), length: u32(h, 16) };
    if (bank.length > this.capacity) return undefined;
    const payload = this.region.read(base + LOCAL_LIST_HEADER_BYTES, bank.length);
    if (crc32(payload) !== u32(h, 20)) return undefined;
    try {
      return { bank, list: LocalList.decode(payload, this.maxEntries) };
    } catch (e) {
      if (e instanceof LocalListError) return undefined;
      throw e;
    }
  }
}

function header(b: Bank, payloadCrc: number): Uint8Array {
  const h = new Uint8Array(LOCAL_LIST_HEADER_BYTES).fill(0xff);
  put32(h, 0, MAGIC);
  h[4] = FORMAT;
  put32(h, 8, b.generation);
  put32(h, 12, b.listVersion);
  put32(h, 16, b.length);
  put32(h, 20, payloadCrc);
  put32(h, 28, crc32(h, 0, 28));
  return h;
}

function isErased(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0xff) return false;
  return true;
}
