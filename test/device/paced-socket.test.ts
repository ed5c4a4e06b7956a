import { describe, expect, it } from 'vitest';
import { pacedSocket, type SocketLike } from '../../hal/moddable/paced-socket.js';

// A TCP socket as Moddable's lwip one behaves (modules/network/socket/lwip/
// modSocket.c, xs_socket_write): write() with no argument is the free send
// buffer (tcp_sndbuf); a write larger than that throws "can't write all data";
// when the peer acknowledges, room comes back and the callback gets message 3.
class SmallBufferSocket implements SocketLike {
  static last?: SmallBufferSocket;
  callback?: (message: number, value?: number) => unknown;
  readonly wire: number[] = [];
  free: number;
  constructor(readonly dictionary: Record<string, unknown>) {
    this.free = Number(dictionary.sendBuffer ?? 1024);
    SmallBufferSocket.last = this;
  }
  write(...data: ArrayBuffer[]): number | void {
    if (data.length === 0) return this.free;
    const n = data.reduce((a, d) => a + d.byteLength, 0);
    if (n > this.free) throw new Error("can't write all data");
    for (const d of data) this.wire.push(...new Uint8Array(d));
    this.free -= n;
  }
  read(): unknown { return 'read'; }
  close(): void { this.free = 0; }
  /** The peer acknowledged `n` bytes: room again, and the writable message. */
  ack(n: number): void {
    this.free += n;
    this.callback?.(3, this.free);
  }
}

const packet = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff).buffer;

describe('pacedSocket: whole packets through a small send buffer, in order', () => {
  it('the bare socket refuses a 6,000-byte packet with 1,024 bytes free (the defect mcsim showed)', () => {
    const raw = new SmallBufferSocket({ sendBuffer: 1024 });
    expect(() => raw.write(packet(6000, 1))).toThrow("can't write all data");
  });

  it('a 16 KiB batch, then a ping, reach the wire whole and in order as room comes back', () => {
    const Paced = pacedSocket(SmallBufferSocket);
    const s = new Paced({ host: 'b', port: 1883, sendBuffer: 1024 });
    const inner = SmallBufferSocket.last!;
    const seen: number[] = [];
    s.callback = (m) => { seen.push(m); };
    const batch = packet(16 * 1024, 3);
    s.write(batch);
    s.write(Uint8Array.of(0xc0, 0x00).buffer);
    expect(inner.wire.length).toBe(1024);
    expect(s.write()).toBe(0); // nothing more until the queue drains
    while (inner.wire.length < 16 * 1024 + 2) inner.ack(1024);
    expect(Uint8Array.from(inner.wire)).toEqual(new Uint8Array([...new Uint8Array(batch), 0xc0, 0x00]));
    expect(seen.every((m) => m === 3)).toBe(true); // the client still sees every message
    expect(s.write()).toBe(inner.free);
  });

  it('a packet that fits goes out at once, without a copy; read and close reach the socket', () => {
    const Paced = pacedSocket(SmallBufferSocket);
    const s = new Paced({ sendBuffer: 5744 });
    const inner = SmallBufferSocket.last!;
    s.write(packet(300, 9));
    expect(inner.wire.length).toBe(300);
    expect(s.read(ArrayBuffer)).toBe('read');
    s.write(packet(9000, 1));
    s.close();
    inner.ack(9000);
    expect(inner.wire.length).toBe(300 + 5444); // what was queued after close is dropped
  });
});
