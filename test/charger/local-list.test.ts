import { describe, expect, it } from 'vitest';
import { PowerCut } from '../../host-sim/hal/index.js';
import { LocalListError, type LocalListUpdate } from '../../src/auth/index.js';
import { Rig } from './rig.js';

// The OCPP local list persists in its own flash region: it survives reboots,
// is larger than an NVS value may be, and a power cut at any write of an
// update leaves either the old list or the new one in force.
const id = (i: number) => `04CA${i.toString(16).toUpperCase().padStart(10, '0')}`;
const status = (i: number, v: number) => ((i + v) % 5 === 0 ? 'Blocked' : 'Accepted') as 'Blocked' | 'Accepted';

function full(version: number, count: number): LocalListUpdate {
  const localAuthorizationList = [];
  for (let i = 0; i < count; i++) localAuthorizationList.push({ idTag: id(i), idTagInfo: { status: status(i, version) } });
  return { listVersion: version, updateType: 'Full', localAuthorizationList };
}

/** What the list must answer, written from the updates, not read from the code. */
function expectedOf(update: LocalListUpdate): Map<string, string> {
  return new Map((update.localAuthorizationList ?? []).map((e) => [e.idTag, e.idTagInfo!.status]));
}

function listed(r: Rig, ids: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const i of ids) {
    const info = r.charger.authorizer.list.lookup(i);
    if (info) out.set(i, info.status);
  }
  return out;
}

describe('Charger: the local list on flash', () => {
  it('survives a reboot, beyond what one NVS value holds, and decides offline taps', async () => {
    const r = new Rig({ online: false });
    const v3 = full(3, 150);
    expect(r.charger.applyLocalList(v3)).toBe('Accepted');
    expect(r.charger.authorizer.list.encode().length).toBeGreaterThan(4000);
    const boot = r.reboot();
    expect(boot.localListVersion).toBe(3);
    const ids = [...expectedOf(v3).keys()];
    expect(listed(r, ids)).toEqual(expectedOf(v3));
    expect(await r.charger.tap(id(1), 1)).toMatchObject({ accept: true, reason: expect.stringContaining('local list') });
    expect(await r.charger.tap(id(2), 2)).toMatchObject({ accept: false, status: 'Blocked' });
    // A differential continues from the persisted version; an old one is a mismatch.
    const diff: LocalListUpdate = { listVersion: 4, updateType: 'Differential', localAuthorizationList: [{ idTag: id(2), idTagInfo: { status: 'Accepted' } }, { idTag: id(3) }] };
    expect(r.charger.applyLocalList(diff)).toBe('Accepted');
    expect(r.charger.applyLocalList({ ...diff, listVersion: 4 })).toBe('VersionMismatch');
    r.reboot();
    expect(r.charger.status().localListVersion).toBe(4);
    expect(r.charger.authorizer.list.lookup(id(2))?.status).toBe('Accepted');
    expect(r.charger.authorizer.list.has(id(3))).toBe(false);
    expect(r.charger.authorizer.list.size).toBe(149);
  });

  it('refuses what does not fit (Failed) and what is malformed (LocalListError), keeping the list', () => {
    const r = new Rig({ online: false });
    expect(r.charger.applyLocalList(full(1, 10))).toBe('Accepted');
    const writes = r.platform.power.writes;
    expect(r.charger.applyLocalList(full(2, 400))).toBe('Failed'); // > 8 KiB per bank
    expect(() => r.charger.applyLocalList({ listVersion: 2, updateType: 'Full', localAuthorizationList: [{ idTag: '' }] } as LocalListUpdate)).toThrow(LocalListError);
    expect(r.platform.power.writes).toBe(writes);
    r.reboot();
    expect(listed(r, [...expectedOf(full(1, 10)).keys()])).toEqual(expectedOf(full(1, 10)));
    expect(r.charger.status().localListVersion).toBe(1);
  });

  // Two updates in a row are cut: the second writes over the bank of the first list.
  for (const history of [[full(1, 60)], [full(1, 60), full(2, 40)]]) {
    it(`a power cut at every write of an update leaves the old or the new list (${history.length} before)`, () => {
      const next = full(9, 80);
      const old = history[history.length - 1];
      const ids = [...new Set([...expectedOf(old).keys(), ...expectedOf(next).keys()])];
      const prepared = () => {
        const r = new Rig({ online: false });
        for (const u of history) expect(r.charger.applyLocalList(u)).toBe('Accepted');
        return r;
      };
      const clean = prepared();
      const before = clean.platform.power.writes;
      clean.charger.applyLocalList(next);
      const writes = clean.platform.power.writes - before;
      expect(writes).toBeGreaterThanOrEqual(3); // erase(s), payload, header
      const outcomes: number[] = [];
      for (let n = 1; n <= writes; n++) {
        const r = prepared();
        r.platform.power.cutAtWrite(n);
        expect(() => r.charger.applyLocalList(next), `cut at write ${n}`).toThrow(PowerCut);
        const boot = r.reboot();
        const now = listed(r, ids);
        const isOld = boot.localListVersion === old.listVersion && equalMaps(now, expectedOf(old));
        const isNew = boot.localListVersion === 9 && equalMaps(now, expectedOf(next));
        expect(isOld || isNew, `cut at write ${n}: version ${boot.localListVersion}, ${now.size} entries`).toBe(true);
        outcomes.push(boot.localListVersion);
        // The device takes the update again after the cut.
        expect(r.charger.applyLocalList(full(10, 5))).toBe('Accepted');
        r.reboot();
        expect(listed(r, ids.concat(id(0)))).toEqual(expectedOf(full(10, 5)));
      }
      // Before the header (the last write) nothing of the new list counts; a torn
      // header may or may not have landed whole, so the last cut may give either.
      expect(outcomes.slice(0, -1).every((v) => v === old.listVersion)).toBe(true);
    });
  }
});

function equalMaps(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
