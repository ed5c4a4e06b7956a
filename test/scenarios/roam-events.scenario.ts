import { p256 } from '@noble/curves/nist.js';
import type { Platform } from '../../hal/index.js';
import type { Transport } from '../../hal/transport.js';
import { VirtualClock } from '../../host-sim/hal/virtual-clock.js';
import { defaultAuthSettings } from '../../src/auth/index.js';
import { Roam, RoamError } from '../../src/charger/index.js';
import { MemorySettings } from './memory-settings.js';
import type { Scenario } from './scenario.js';

// The portable Roam class and its events, the same on Node, XS and mcsim:
// boot, the link going down and up, taps offline, a session started and ended
// with its record seq, a power cut (close, then a new Roam on what flash and
// NVS kept), readings given by the firmware, a hook that throws (to onError),
// and the errors of a closed Roam and a bad connector. Output: the log hook's
// lines and the RoamError codes.

/** A broker connection the scenario brings down and up, with nobody behind it. */
class Link implements Transport {
  connected = false;
  onConnect?: () => void;
  onDisconnect?: () => void;
  onMessage?: Transport['onMessage'];
  set(up: boolean): void {
    if (up === this.connected) return;
    this.connected = up;
    if (up) this.onConnect?.();
    else this.onDisconnect?.();
  }
  publish(): void {}
  subscribe(): void {}
  close(): void { this.connected = false; }
}

const DEVICE_KEY = new Uint8Array(32).map((_, i) => (i * 7 + 1) & 0xff);
const BACKEND_KEY = new Uint8Array(32).map((_, i) => (i * 5 + 2) & 0xff);

const scenario: Scenario = {
  name: 'roam-events',
  partitions: { 'tokens-a': 16 * 1024, 'tokens-b': 16 * 1024, 'tokens-sel': 8 * 1024, 'tokens-ovl': 8 * 1024, journal: 16 * 1024, 'auth-list': 8 * 1024 },
  async run(p) {
    const clock = new VirtualClock(Date.UTC(2026, 4, 1, 8), 'S');
    const platform: Platform = { clock, crypto: p.crypto, random: p.random, flash: (n) => p.flash(n) };
    const settings = new MemorySettings();
    const signer = { publicKey: p256.getPublicKey(DEVICE_KEY, false), sign: (m: Uint8Array) => p256.sign(m, DEVICE_KEY) };
    const lines: string[] = [];
    let throwOnStart = false;
    const open = (link: Link, readings?: number[]) => new Roam({
      connectors: [{ evse: 'US*ROA*E0009*1' }, { evse: 'US*ROA*E0009*2' }],
      readings,
      auth: { ...defaultAuthSettings(), allowOfflineTxForUnknownId: true },
      open: (opened) => {
        opened(link);
        return { platform, settings, transport: link, signer, deviceId: 'roam-events-1', backendKey: p256.getPublicKey(BACKEND_KEY, false) };
      },
    }, {
      log: (l) => lines.push(l),
      onSessionStarted: () => { if (throwOnStart) throw new Error('contactor driver'); },
    });
    const code = (f: () => unknown) => { try { f(); return 'none'; } catch (e) { return e instanceof RoamError ? e.code : (e as Error).name; } };

    let link = new Link();
    let roam = open(link);
    link.set(true);
    link.set(false);
    roam.reading(1, 1000);
    roam.reading(2, 5000);
    lines.push(`tap -> ${(await roam.tap('04A2B3C4D5E680', 1)).action}`);
    roam.plugIn(1);
    roam.startCharging(1);
    roam.reading(1, 1750);
    throwOnStart = true;
    await roam.tap('04112233', 2);
    roam.plugIn(2); // the hook throws: onError, the session goes on
    throwOnStart = false;
    lines.push(`status ${roam.status().connectors.map((c) => `${c.connector}:${c.state}`).join(' ')}`);
    // Power cut: nothing more written; the next Roam finds both transactions in NVS.
    roam.close();
    lines.push(`closed: status ${code(() => roam.status())}, tap ${await roam.tap('04A2B3C4D5E680', 1).then(() => 'none', (e) => (e as RoamError).code)}`);
    link = new Link();
    roam = open(link, [1750, 5400]); // the registers at power-on: the PowerLoss records take them
    clock.advance(5000);
    await roam.tap('04A2B3C4D5E680', 1);
    roam.plugIn(1);
    roam.reading(1, 2500);
    lines.push(`unplug -> #${roam.unplug(1)}`);
    lines.push(`reading(3) ${code(() => roam.reading(3, 1))}`);
    link.set(true);
    clock.advance(1000);
    roam.close();
    roam.close(); // idempotent
    return new TextEncoder().encode(lines.join('\n'));
  },
};

export default scenario;
