// The Node simulator's prediction of the example charger's day: the portable
// Roam (host-sim/roam/node-roam.ts) on the host's simulated hardware, driven
// by the same day (day.ts) and doing what the example firmware does with each
// input (examples/charger/main.ts): plug → plugIn, session started →
// startCharging, unplug → unplug; an S0 meter that counts from each boot.
// Its trace (the day's steps and roam's log lines) is what mcsim must print.
import type { Transport } from '../../../hal/transport.js';
import { FileSettings, hostPlatform, NodeSigner } from '../../hal/index.js';
import { Mfrc522Sim } from '../../mfrc522/sim.js';
import { NodeRoam } from '../../roam/node-roam.js';
import { BACKEND_PUB, DAY_SETTINGS, DEVICE_ID, DEVICE_KEY, EVSE, IMPULSES_PER_KWH, runDay, unhex, type DayBoard } from './day.js';
import { DAY_PARTITIONS } from './partitions.js';

/** A broker connection that the day takes down and up; with no backend behind it. */
class DayLink implements Transport {
  onMessage?: Transport['onMessage'];
  onConnect?: () => void;
  onDisconnect?: () => void;
  connected = false;
  private closed = false;

  constructor(private readonly net: { up: boolean; links: Set<DayLink> }, later: (f: () => void) => void) {
    net.links.add(this);
    later(() => this.set(net.up)); // a connection completes in a later turn, as a socket's
  }

  set(up: boolean): void {
    if (this.closed || up === this.connected) return;
    this.connected = up;
    if (up) this.onConnect?.();
    else this.onDisconnect?.();
  }

  publish(): void {}
  subscribe(): void {}
  close(): void {
    this.closed = true;
    this.connected = false;
    this.net.links.delete(this);
  }
}

/** The trace the day should print: `@day <step>` and `roam: <line>` lines, in order. */
export async function predictDay(): Promise<string[]> {
  const lines: string[] = [];
  const platform = hostPlatform(DAY_PARTITIONS, 1);
  const clock = platform.clock;
  const settings = new FileSettings(undefined, platform.power);
  for (const [key, value] of DAY_SETTINGS) settings.set(key, value);
  const chip = new Mfrc522Sim();
  const net = { up: true, links: new Set<DayLink>() };
  let pulses = 0;
  let plugged = false;
  let roam!: NodeRoam;
  const boot = () => {
    pulses = 0; // an S0 counter counts from power-on
    roam = new NodeRoam({
      connectors: [{ evse: EVSE }],
      platform, settings, signer: new NodeSigner(unhex(DEVICE_KEY)), deviceId: DEVICE_ID, backendKey: unhex(BACKEND_PUB),
      transport: new DayLink(net, (f) => clock.setTimer(0, f)),
      meter: { readWh: () => (pulses * 1000) / IMPULSES_PER_KWH },
      rfid: { chip, connector: 1, pollMs: 100 },
    }, {
      onSessionStarted: (e) => roam.startCharging(e.connector),
      log: (line) => lines.push(`roam: ${line}`),
    });
    if (plugged) roam.plugIn(1);
  };
  boot();
  const board: DayBoard = {
    mark: (step) => lines.push(`@day ${step}`),
    present: (uid) => chip.present({ uid: unhex(uid) }),
    remove: () => chip.remove(),
    cable: (p) => {
      plugged = p;
      if (p) roam.plugIn(1);
      else roam.unplug(1);
    },
    pulses: (n) => { pulses += n; },
    link: (up) => {
      net.up = up;
      for (const l of [...net.links]) l.set(up);
    },
    powerCut: () => {
      roam.close();
      boot();
    },
    wait: async (ms) => {
      clock.advance(ms);
      await new Promise((r) => setImmediate(r)); // promise jobs, as the device's event loop runs them
    },
  };
  await runDay(board);
  roam.close();
  return lines;
}
