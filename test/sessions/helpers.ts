import { hostPlatform, NodeSigner, nodeCrypto, SimFlash, PowerSwitch } from '../../host-sim/hal/index.js';
import { Journal, type JournalOptions, type SessionFacts } from '../../src/sessions/index.js';

export const DEVICE = 'US*SEM*C0042';
export const deviceKey = new NodeSigner(new Uint8Array(32).fill(7));

/** Facts of the i-th session of a test day: varied, deterministic. */
export function facts(i: number): SessionFacts & { meterStartWh: number; meterStopWh: number } {
  const t0 = 1767225600 + i * 3600;
  const roaming = i % 3 !== 0;
  return {
    evseId: `US*SEM*E0042*${1 + (i % 2)}`,
    uid: i % 5 === 4 ? 'A1B2C3D4' : `04${(0x10a2b3c4d5e6 + i).toString(16).toUpperCase()}`.slice(0, 14),
    partner: roaming ? { id: 3, countryCode: 'US', partyId: 'BLK' } : undefined,
    groupId: i % 7 === 6 ? 'FLEET-9' : undefined,
    method: i % 2 ? 'WHITELIST' : 'AUTH_REQUEST',
    offline: i % 4 === 1,
    start: { seconds: t0, quality: 'S' },
    stop: { seconds: t0 + 1800 + i, quality: i % 6 === 5 ? 'U' : 'S' },
    meterStartWh: 120000 + i * 9000,
    meterStopWh: 120000 + i * 9000 + 7000 + i,
    stopReason: (['Local', 'EVDisconnected', 'GroupCard', 'EnergyLimitReached'] as const)[i % 4],
  };
}

export function newFlash(bytes = 64 * 1024, power = new PowerSwitch()): SimFlash {
  return new SimFlash('journal', bytes, { power });
}

export function openJournal(flash: SimFlash, options: Partial<JournalOptions> = {}): Journal {
  const j = new Journal(flash, { crypto: nodeCrypto, deviceId: DEVICE, signer: deviceKey, ...options });
  j.recover();
  return j;
}

export { hostPlatform, nodeCrypto };
