import { describe, expect, it } from 'vitest';
import { FileSettings, hostPlatform, NodeSigner } from '../../host-sim/hal/index.js';
import { Mfrc522Sim } from '../../host-sim/mfrc522/sim.js';
import { NodeRoam } from '../../host-sim/roam/node-roam.js';
import { Roam, RoamError, type RoamFault } from '../../src/charger/index.js';
import { PARTITIONS } from './rig.js';

// The Roam class (src/charger/roam.ts) through its Node platform: it opens
// the hardware first, boots second, closes everything it opened on a failure
// and throws one RoamError; a failing reader is told once per change.
const offline = () => ({ connected: false, publish() {}, subscribe() {}, close() {} });

function parts(partitions: Record<string, number> = PARTITIONS) {
  const platform = hostPlatform(partitions, 3);
  return { platform, settings: new FileSettings(undefined, platform.power), signer: new NodeSigner(), deviceId: 'cp-roam-1', backendKey: new NodeSigner().publicKey };
}

describe('Roam', () => {
  it('a reader that fails is told once when it starts failing and once when it answers again; its taps reach onDecision', () => {
    const p = parts();
    const chip = new Mfrc522Sim();
    const faults: string[] = [];
    const decisions: string[] = [];
    const roam = new NodeRoam({ ...p, connectors: [{ evse: 'E1' }], transport: offline(), meter: { readWh: () => 0 }, rfid: { chip } }, {
      onError: (e: RoamFault) => faults.push(`${e.source} ${e.code}`),
      onDecision: (d) => decisions.push(`${d.connector} ${d.action} ${d.status}`),
    });
    const options = (chip as unknown as { options: { stuck: boolean } }).options;
    options.stuck = true;
    p.platform.clock.advance(1000); // ten failing polls
    options.stuck = false;
    p.platform.clock.advance(300);
    chip.present({ uid: Uint8Array.of(0x04, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0x80) });
    p.platform.clock.advance(300);
    roam.close();
    expect(faults).toEqual(['reader reader-failing', 'reader reader-recovered']);
    expect(decisions).toEqual(['1 none Unknown']); // offline, no list: an unknown card
  });

  it('closes everything opened when opening fails, and throws one RoamError (hardware)', () => {
    const closed: string[] = [];
    const attempt = () => new Roam({
      connectors: [{ evse: 'E1' }],
      open: (opened) => {
        opened({ close: () => closed.push('reader') });
        opened({ close: () => closed.push('meter') });
        throw new Error('MFRC522: no answer on SPI (VersionReg 0xff)');
      },
    });
    let error: unknown;
    try { attempt(); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(RoamError);
    expect((error as RoamError).code).toBe('hardware');
    expect((error as Error).message).toMatch(/^opening the hardware failed: MFRC522: no answer on SPI/);
    expect(closed).toEqual(['meter', 'reader']); // last opened, first closed
  });

  it('a boot that fails (a partition missing) closes the transport and readers and throws RoamError boot', () => {
    const p = parts({ journal: 32 * 1024 });
    const closed: string[] = [];
    const transport = { ...offline(), close: () => closed.push('transport') };
    const chip = new Mfrc522Sim();
    let code: string | undefined;
    try {
      new NodeRoam({ ...p, connectors: [{ evse: 'E1' }], transport, rfid: { chip } });
    } catch (e) {
      code = (e as RoamError).code;
      expect((e as Error).message).toMatch(/^boot failed: .*tokens/);
    }
    expect(code).toBe('boot');
    expect(closed).toEqual(['transport']);
    const frames = chip.frames.length;
    p.platform.clock.advance(1000); // a reader left polling would put frames on air
    expect(chip.frames.length).toBe(frames);
  });

  it('refuses a config without connectors or with a bad EVSE id, naming the key, before opening anything', () => {
    let opened = 0;
    const open = () => { opened++; throw new Error('not reached'); };
    expect(() => new Roam({ connectors: [], open })).toThrow(/^connectors: give 1..255 connectors/);
    expect(() => new Roam({ connectors: [{ evse: '' }], open })).toThrow(/^connectors\[0\]\.evse: an OCPI EVSE id/);
    expect(opened).toBe(0);
  });

  it('a transport that throws on publish is told to onError (transport publish-failed), never thrown out of a timer', () => {
    const p = parts();
    const faults: string[] = [];
    let up = false;
    const transport = {
      get connected() { return up; },
      onConnect: undefined as undefined | (() => void),
      publish() { throw new Error("can't write all data"); },
      subscribe() {},
      close() {},
    };
    const roam = new NodeRoam({ ...p, connectors: [{ evse: 'E1' }], transport, meter: { readWh: () => 0 } }, {
      onError: (e) => faults.push(`${e.source} ${e.code}: ${e.message}`),
    });
    up = true;
    expect(() => transport.onConnect?.()).not.toThrow(); // the status and list version go out on connect
    expect(() => p.platform.clock.advance(60_000)).not.toThrow();
    roam.close();
    expect(faults.length).toBeGreaterThan(0);
    expect(faults[0]).toMatch(/^transport publish-failed: publish roam\/v1\/cp-roam-1\/\S+ failed \(dropped\): can't write all data$/);
  });
});

