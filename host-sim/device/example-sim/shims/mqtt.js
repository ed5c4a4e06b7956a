// Moddable's mqtt on mcsim: a loopback broker the scripted day brings down and
// up. hal/moddable/transport is preloaded and imports this module, so it is
// preloaded too: it imports nothing and finds the board's client at run time
// (board.ts sets it before the firmware starts).
export default class Client {
  constructor(options) {
    return new globalThis.roamSimBoardMqtt(options);
  }
}
