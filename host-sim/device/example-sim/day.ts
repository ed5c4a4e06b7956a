// A scripted day at the example charger (examples/charger), the same on both
// sides of the comparison test:device makes: on mcsim it drives the fake board
// the example firmware runs on (board.ts); on Node it drives the Node
// simulator's prediction (predict.ts). Portable: no Node or Moddable imports.

/** The example's pins on the simulated board (examples/charger/manifest.json, lin). */
export const PINS = { contactor: 25, led: 2, plug: 27, meter: 4, select: 5, reset: 22 } as const;
/** S0 meter: impulses per kWh (config.roam.impulsesPerKWh). */
export const IMPULSES_PER_KWH = 1000;
export const DEVICE_ID = 'example-cp-1';
export const EVSE = 'US*ROA*E0001*1';
/** The provisioned device key (a test key: d = 0x11…11) and the backend's public key (d = 0x22…22). */
export const DEVICE_KEY = '11'.repeat(32);
export const DEVICE_PUB = '040217e617f0b6443928278f96999e69a23a4f2c152bdf6d6cdf66e5b80282d4ed194a7debcb97712d2dda3ca85aa8765a56f45fc758599652f2897c65306e5794';
export const BACKEND_PUB = '04d65a93977caa3d1b081852ff57a79e465f1660577304baead505dd3a48589cf350185e895372df6221ea3a137557e473fddb6755f05bd507c3c533fce9c91285';
/** Two driver cards (ISO 14443 7-byte UIDs). The site has no list yet: they are unknown ids. */
export const CARD_A = '04a2b3c4d5e680';
export const CARD_B = '04112233445566';
/** NVS settings of the day: OCPP AllowOfflineTxForUnknownId, so unknown cards charge offline (src/auth's key). */
export const DAY_SETTINGS: Array<[string, boolean | number]> = [['OfflineUnknown', true]];

export const unhex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!.map((h) => parseInt(h, 16)));

/** What the day does to the charger; each side implements it on its own hardware. */
export interface DayBoard {
  /** A line of the trace: a step of the day. */
  mark(step: string): void;
  /** A card is held to the reader, then taken away. */
  present(uid: string): void;
  remove(): void;
  /** The cable goes in (true) or out. */
  cable(plugged: boolean): void;
  /** The meter's S0 output pulses `n` times. */
  pulses(n: number): void;
  /** The uplink to the broker goes down or comes back. */
  link(up: boolean): void;
  /** The power is cut and comes back: the firmware boots again on what flash and NVS kept. */
  powerCut(): void;
  wait(ms: number): Promise<void>;
}

/** Long enough for the reader (100 ms polls) to see a card and to see it gone. */
const READ_MS = 600;
/** The MQTT transport's reconnect backoff grows while the broker is away: wait it out. */
const RECONNECT_MS = 20_000;

async function tap(b: DayBoard, uid: string, what: string): Promise<void> {
  b.mark(`tap ${what}`);
  b.present(uid);
  await b.wait(READ_MS);
  b.remove();
  await b.wait(READ_MS);
}

/** The day: the lines it marks, with the firmware's own log between them, are the trace. */
export async function runDay(b: DayBoard): Promise<void> {
  b.mark('boot');
  await b.wait(2000);
  b.mark('link down');
  b.link(false);
  await b.wait(1000);
  await tap(b, CARD_A, 'A (offline: unknown id allowed)');
  b.mark('plug in');
  b.cable(true);
  await b.wait(500);
  b.mark('50 pulses');
  b.pulses(50);
  await b.wait(500);
  b.mark('power cut');
  b.powerCut();
  await b.wait(2000);
  await tap(b, CARD_A, 'A again (the cable is still in)');
  b.mark('30 pulses');
  b.pulses(30);
  await b.wait(500);
  b.mark('unplug');
  b.cable(false);
  await b.wait(1000);
  b.mark('link up');
  b.link(true);
  await b.wait(RECONNECT_MS);
  await tap(b, CARD_B, 'B (online, no backend answer: decided at the timeout)');
  await b.wait(3000);
  b.mark('plug in');
  b.cable(true);
  await b.wait(500);
  b.mark('20 pulses');
  b.pulses(20);
  await b.wait(4000);
  await tap(b, CARD_B, 'B again (stops its session)');
  b.mark('unplug');
  b.cable(false);
  await b.wait(1000);
  b.mark('day over');
}
