import { p256 } from '@noble/curves/nist.js';
import type { Signer } from '../../hal/crypto.js';
import type { Platform } from '../../hal/index.js';
import type { Transport } from '../../hal/transport.js';
import { VirtualClock } from '../../host-sim/hal/virtual-clock.js';
import { defaultAuthSettings, type Decision } from '../../src/auth/index.js';
import { Charger } from '../../src/charger/index.js';
import { concatBytes, encodeCbor } from '../../src/codec/index.js';
import { decodeCoseSign1, decodeRecord } from '../../src/sessions/index.js';
import { compileTable, signTable } from '../../src/tokens/index.js';
import { MemorySettings } from './memory-settings.js';
import type { Scenario } from './scenario.js';

// A short offline day through src/charger's Charger, the same on Node and XS:
// a signed token list and an OCPP local list, taps from the table, the list,
// blocked and unknown cards, a re-tap the guard ignores, an energy cap, a power
// cut mid-session and the reboot after it. Output: every decision, the boot reports and the signed
// records' bytes (deterministic ES256, RFC 6979).

const offline: Transport = { connected: false, publish() {}, subscribe() {}, close() {} };

function signerOf(secret: Uint8Array): Signer {
  return { publicKey: p256.getPublicKey(secret, false), sign: (m) => p256.sign(m, secret) }; // RFC 6979, low-S: as the device signs
}
const DEVICE_KEY = new Uint8Array(32).map((_, i) => (i * 41 + 3) & 0xff);
const BACKEND_KEY = new Uint8Array(32).map((_, i) => (i * 13 + 99) & 0xff);

const token = (uid: string, whitelist: string, extra: Record<string, unknown> = {}) => ({
  country_code: 'US', party_id: 'SEM', uid, type: 'RFID', contract_id: `C-${uid}`, valid: true, whitelist, last_updated: '2026-01-01T00:00:00Z', ...extra,
});

const scenario: Scenario = {
  name: 'charger',
  partitions: { 'tokens-a': 16 * 1024, 'tokens-b': 16 * 1024, 'tokens-sel': 8 * 1024, 'tokens-ovl': 8 * 1024, journal: 16 * 1024, 'auth-list': 8 * 1024 },
  run(p) {
    // The platform's clock, with timers the scenario drives (XS has no event loop here).
    const clock = new VirtualClock(Date.UTC(2026, 2, 1, 6), 'S');
    const platform: Platform = { clock, crypto: p.crypto, random: p.random, flash: (n) => p.flash(n) };
    const settings = new MemorySettings();
    const meter = { wh: [0, 10_000, 20_000], readWh: (c: number) => meter.wh[c] };
    const deliver = (c: number, wh: number) => { meter.wh[c] += wh; };
    const backend = signerOf(BACKEND_KEY);
    const device = signerOf(DEVICE_KEY);
    const out: Uint8Array[] = [];
    const check = (ok: boolean, what: string) => { if (!ok) throw new Error(`charger scenario: ${what}`); };
    const boot = () => {
      const c = new Charger({
        platform, settings, transport: offline, signer: device, meter, deviceId: 'US*SEM*C0042',
        evseIds: { 1: 'US*SEM*E0042*1', 2: 'US*SEM*E0042*2' }, backendKey: backend.publicKey,
        auth: { ...defaultAuthSettings(), allowOfflineTxForUnknownId: true, unknownMaxWh: 3_000 },
        reader: { input: 'bytes', reversed: true },
      });
      const r = c.boot();
      out.push(encodeCbor([r.powerLossRecords, r.signed, r.listVersion, r.localListVersion, r.recovery.lastSeq]));
      return c;
    };
    const decisions: unknown[] = [];
    const tap = (c: Charger, uid: string | Uint8Array, connector: number) => {
      let d: Decision | undefined;
      void c.tap(uid, connector).then((x) => { d = x; });
      return Promise.resolve().then(() => {
        check(d !== undefined, 'offline taps decide at once');
        decisions.push([d!.uid, d!.connector, d!.accept, d!.action, d!.status, d!.method, d!.offline, d!.checkLater, d!.energyCapWh ?? null]);
        return d!;
      });
    };
    return (async () => {
      let c = boot();
      const table = compileTable({ listVersion: 3, createdAt: 1_772_000_000_000, partners: [{
        countryCode: 'US', partyId: 'SEM', allowedUsesTable: true,
        tokens: [token('04A1B2C3D4E5F6', 'ALWAYS'), token('04A1B2C3D4E5F7', 'ALWAYS', { group_id: 'FLEET' }), token('11223344', 'NEVER'), token('04A1B2C3D4E5F8', 'ALWAYS', { valid: false })],
      }] }, p.crypto);
      const image = signTable(table.image, backend);
      c.tokens.beginFull(image.length);
      for (let o = 0; o < image.length; o += 512) c.tokens.writeChunk(o, image.subarray(o, o + 512));
      c.tokens.commit();
      check(c.applyLocalList({ listVersion: 5, updateType: 'Full', localAuthorizationList: [
        { idTag: 'A0B0C0D0', idTagInfo: { status: 'Accepted', groupId: 'FLEET' } },
        { idTag: 'A0B0C0D1', idTagInfo: { status: 'Blocked' } },
      ] }) === 'Accepted', 'local list stored');

      // Morning: a table card charges and leaves; a list card of the same group stops the next session.
      await tap(c, '04A1B2C3D4E5F6', 1);
      c.plugIn(1); c.startCharging(1);
      clock.advance(300);
      const again = await tap(c, '04A1B2C3D4E5F6', 1); // the card flickers: a re-tap within retapGuardMs
      check(again.action === 'ignored' && c.status().connectors[0].state === 'charging', 're-tap ignored');
      clock.advance(45 * 60_000); deliver(1, 5_400);
      c.unplug(1);
      await tap(c, Uint8Array.of(0xf7, 0xe5, 0xd4, 0xc3, 0xb2, 0xa1, 0x04), 2); // raw, reversed reader bytes
      c.plugIn(2); c.startCharging(2);
      clock.advance(30 * 60_000); deliver(2, 3_600);
      await tap(c, 'A0B0C0D0', 2); // same group: stops it
      c.unplug(2);
      // Refusals: blocked on the list, NEVER offline, valid=false.
      await tap(c, 'A0B0C0D1', 1);
      await tap(c, '11223344', 1);
      await tap(c, '04A1B2C3D4E5F8', 1);
      // An unknown card under AllowOfflineTxForUnknownId, capped at 3 kWh.
      await tap(c, '04FFEEDDCCBBAA', 1);
      c.plugIn(1); c.startCharging(1);
      deliver(1, 3_100);
      clock.advance(2_000);
      check(c.status().connectors[0].state === 'idle', 'the energy cap ended the session');
      // A session cut by a power failure.
      await tap(c, '04A1B2C3D4E5F6', 2);
      c.plugIn(2); c.startCharging(2);
      clock.advance(20 * 60_000); deliver(2, 2_000);
      clock.advance(1_000); // signs what is pending
      c.shutdown(); // the power goes
      deliver(2, 150);
      clock.advance(10 * 60_000);
      c = boot(); // PowerLoss record for connector 2; the local list is read back from flash
      await tap(c, 'A0B0C0D1', 1);
      clock.advance(1_000);
      check(c.journal.unsigned === 0, 'everything signed in the background');
      const records = c.journal.readFrom(1, 1 << 20);
      check(records.length === 4, `four records (Local, GroupCard, EnergyLimitReached, PowerLoss), got ${records.length}`);
      const reasons = records.map((r) => { const x = decodeRecord(decodeCoseSign1(r.bytes).payload); return `${x.stopReason}:${x.energyWh}`; }).join();
      check(reasons === 'EVDisconnected:5400,GroupCard:3600,EnergyLimitReached:3100,PowerLoss:2150', reasons);
      out.push(encodeCbor(decisions), ...records.map((r) => r.bytes), encodeCbor(c.status()));
      return concatBytes(...out);
    })();
  },
};

export default scenario;
