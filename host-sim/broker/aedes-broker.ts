import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import type { Broker } from './broker.js';

/** The embedded broker: in this process, needs nothing installed. Port 0 = any free port. */
export async function startAedes(port = 0): Promise<Broker> {
  const aedes = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as { port: number }).port;
  let closed = false;
  return {
    kind: 'aedes',
    url: `mqtt://127.0.0.1:${bound}`,
    port: bound,
    async close() {
      if (closed) return;
      closed = true;
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => aedes.close(() => r()));
    },
  };
}
