// Moddable's mqtt client sends each packet with one socket write, and a TCP
// socket refuses a write larger than its free send buffer ("can't write all
// data": 1,024 B on mcsim, 5,744 B by default on an ESP32-S3), while roam's
// record batches are up to 16 KiB. The client takes the socket class as its
// `Socket` option; this wraps that class so writes are queued whole and sent
// in order, each piece no larger than what the socket says it can take now
// (write() with no argument), the rest when it reports room (message 3).
// No imports: the base class (Socket, or SecureSocket for TLS) is passed in.

/** What the client uses of a Moddable TCP socket (modules/network/socket, securesocket). */
export interface SocketLike {
  callback?: (message: number, value?: number) => unknown;
  write(...data: ArrayBuffer[]): number | void;
  read(...args: unknown[]): unknown;
  close(): void;
}

export type SocketClass = new (dictionary: Record<string, unknown>) => SocketLike;

const WRITABLE = 3;

export function pacedSocket(Base: SocketClass): SocketClass {
  return class PacedSocket implements SocketLike {
    callback?: (message: number, value?: number) => unknown;
    private readonly inner: SocketLike;
    private readonly queue: ArrayBuffer[] = [];
    private sent = 0;

    constructor(dictionary: Record<string, unknown>) {
      this.inner = new Base(dictionary);
      this.inner.callback = (message, value) => {
        if (message === WRITABLE) this.flush();
        return this.callback?.(message, value);
      };
    }

    /** Queues one buffer (the client writes one packet at a time); with no argument, the room left. */
    write(...data: ArrayBuffer[]): number | void {
      if (data.length === 0) return this.queue.length ? 0 : (this.inner.write() as number);
      for (const d of data) this.queue.push(d);
      this.flush();
    }

    read(...args: unknown[]): unknown {
      return this.inner.read(...args);
    }

    close(): void {
      this.queue.length = 0;
      this.sent = 0;
      this.inner.close();
    }

    private flush(): void {
      while (this.queue.length) {
        const room = this.inner.write() as number;
        if (!room) return;
        const head = this.queue[0];
        const left = head.byteLength - this.sent;
        if (left <= room) {
          this.inner.write(this.sent ? head.slice(this.sent) : head);
          this.queue.shift();
          this.sent = 0;
        } else {
          this.inner.write(head.slice(this.sent, this.sent + room));
          this.sent += room;
          return;
        }
      }
    }
  };
}
