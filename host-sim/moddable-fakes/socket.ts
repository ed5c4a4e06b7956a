// Fake of Moddable's `socket` module: only its name is needed here, since the
// fake mqtt Client (./mqtt.ts) talks to a loopback broker, not a socket. The
// paced socket the transport wraps around it is tested on its own
// (test/device/paced-socket.test.ts) and on mcsim (npm run test:device).
export class Socket {
  constructor() {
    throw new Error('socket fake: the fake mqtt Client opens no socket');
  }
}
