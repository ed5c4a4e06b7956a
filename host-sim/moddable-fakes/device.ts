// The fake ESP32 behind the fake Moddable modules of this folder, when
// hal/moddable/ runs inside XS on the host: its partition table and flash
// cells, its NVS, its millisecond tick counter and RTC, its timers (fired only
// when a test calls advance(): the event loop), its RNG, its SPI bus and pins,
// and a loopback MQTT broker. Portable: no Node imports (bundled into XS).

export interface FakePartition {
  name: string;
  cells: Uint8Array;
  blockSize: number;
  /** The buffer handed out by map(), kept equal to the cells by write/erase; anything else changing it is a write through the mapping. */
  mapped?: Uint8Array;
}

export interface FakeTimer {
  id: number;
  at: number;
  interval: number;
  repeat: number;
  callback: (t: unknown) => void;
  handle: unknown;
}

export interface FakeSpiDevice {
  transfer(buffer: Uint8Array): void;
}

export interface FakePin {
  write?(value: number): void;
  read?(): number;
}

export class FakeMapWriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FakeMapWriteError';
  }
}

class FakeDevice {
  partitions = new Map<string, FakePartition>();
  nvs = new Map<string, Map<string, string | number | boolean | ArrayBuffer>>();
  /** Milliseconds since boot of the fake; Time.ticks is (tickBase + now) mod 2^32. */
  now = 0;
  tickBase = 0;
  /** RTC: seconds since the epoch at now = 0 (Time.set moves it). */
  rtcMsAtBoot = Date.UTC(2026, 0, 1);
  timers: FakeTimer[] = [];
  nextTimer = 1;
  rngState = 0x2545f491;
  spi?: FakeSpiDevice;
  pins = new Map<number, FakePin>();
  /** Pins (and SPI ports, as `spi<port>`) held open by an IO object: ECMA-419 refuses a second owner. */
  inUse = new Set<string>();
  /** Input pins with an onReadable (edge) callback, by pin: drive() changes their level. */
  inputs = new Map<number, (level: number) => void>();
  /** The level drive() last put on each pin: an input opened later (after a power cut) reads it. */
  levels = new Map<number, 0 | 1>();
  config: Record<string, unknown> = {};

  /** Partition table: name → bytes (multiples of the 4 KiB sector); cells start erased. */
  configure(options: { partitions?: Record<string, number>; blockSize?: number; tickBase?: number; config?: Record<string, unknown> }): void {
    const bs = options.blockSize ?? 4096;
    this.partitions.clear();
    for (const [name, size] of Object.entries(options.partitions ?? {})) {
      if (size <= 0 || size % bs !== 0) throw new RangeError(`fake partition ${name}: ${size} is not a multiple of ${bs}`);
      this.partitions.set(name, { name, cells: new Uint8Array(size).fill(0xff), blockSize: bs });
    }
    if (options.tickBase !== undefined) this.tickBase = options.tickBase;
    if (options.config) this.config = options.config;
  }

  /** Drives input `pin` to `level`; an open input watching that edge gets its onReadable. */
  drive(pin: number, level: 0 | 1): void {
    this.levels.set(pin, level);
    this.inputs.get(pin)?.(level);
  }

  /** Throws if any mapping differs from its partition's cells: something wrote through map(). */
  checkMaps(): void {
    for (const p of this.partitions.values()) {
      const m = p.mapped;
      if (!m) continue;
      for (let i = 0; i < m.length; i++)
        if (m[i] !== p.cells[i]) throw new FakeMapWriteError(`partition ${p.name}: byte ${i} was written through Flash.map() (0x${p.cells[i].toString(16)} → 0x${m[i].toString(16)}); on a device that buffer is read-only`);
    }
  }

  get ticks(): number {
    return (this.tickBase + this.now) >>> 0;
  }

  /** The event loop: moves time by `ms`, firing due timers in due order. */
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      let due: FakeTimer | undefined;
      for (const t of this.timers) if (t.at <= end && (!due || t.at < due.at)) due = t;
      if (!due) break;
      this.now = Math.max(this.now, due.at);
      if (due.repeat > 0) due.at = this.now + due.repeat;
      else this.timers = this.timers.filter((t) => t !== due);
      due.callback(due.handle);
    }
    this.now = end;
  }

  randomBytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      let x = this.rngState;
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
      this.rngState = x >>> 0;
      out[i] = this.rngState & 0xff;
    }
    return out;
  }
}

export const device = new FakeDevice();

/** Bytes of a BufferLike (ArrayBuffer or a view), as Moddable's native modules take them. */
export function bytesOf(buffer: unknown): Uint8Array {
  if (buffer instanceof ArrayBuffer) return new Uint8Array(buffer);
  if (ArrayBuffer.isView(buffer)) return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  throw new TypeError('expected an ArrayBuffer or a typed array');
}
