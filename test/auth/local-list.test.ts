import { describe, expect, it } from 'vitest';
import { LocalList, LocalListError, type LocalListUpdate } from '../../src/auth/index.js';

const A = '04A1B2C3D4E5F6';
const B = '04A1B2C3D4E5F7';
const C = 'AABBCCDD';

function full(version: number, ids: string[]): LocalListUpdate {
  return { listVersion: version, updateType: 'Full', localAuthorizationList: ids.map((idTag) => ({ idTag, idTagInfo: { status: 'Accepted' } })) };
}

describe('local list (OCPP SendLocalList)', () => {
  it('a Full update replaces the list and sets the version', () => {
    const l = new LocalList();
    expect(l.version).toBe(0);
    expect(l.apply(full(3, [A, B]))).toBe('Accepted');
    expect(l.apply(full(4, [C]))).toBe('Accepted');
    expect(l.version).toBe(4);
    expect(l.ids()).toEqual([C]);
  });

  it('a Full update with no entries clears the list', () => {
    const l = new LocalList();
    l.apply(full(1, [A, B]));
    expect(l.apply({ listVersion: 2, updateType: 'Full' })).toBe('Accepted');
    expect(l.size).toBe(0);
    expect(l.version).toBe(2);
  });

  it('a Differential adds, changes and removes (no idTagInfo = remove)', () => {
    const l = new LocalList();
    l.apply(full(1, [A, B]));
    expect(l.apply({
      listVersion: 2, updateType: 'Differential',
      localAuthorizationList: [{ idTag: A }, { idTag: B, idTagInfo: { status: 'Blocked' } }, { idTag: C, idTagInfo: { status: 'Accepted', groupId: 'G1' } }],
    })).toBe('Accepted');
    expect(l.lookup(A)).toBeUndefined();
    expect(l.lookup(B)).toEqual({ status: 'Blocked' });
    expect(l.lookup(C)).toEqual({ status: 'Accepted', groupId: 'G1' });
    expect(l.version).toBe(2);
  });

  it('a Differential whose version does not follow the device\'s gets VersionMismatch and changes nothing', () => {
    const l = new LocalList();
    l.apply(full(5, [A]));
    for (const v of [5, 4, 1]) {
      expect(l.apply({ listVersion: v, updateType: 'Differential', localAuthorizationList: [{ idTag: B, idTagInfo: { status: 'Accepted' } }] })).toBe('VersionMismatch');
    }
    expect(l.ids()).toEqual([A]);
    expect(l.version).toBe(5);
    // the backend then resends a Full list, whatever its version
    expect(l.apply(full(2, [B]))).toBe('Accepted');
    expect(l.ids()).toEqual([B]);
  });

  it('lower-case hex idTags are stored as readers deliver them (upper case)', () => {
    const l = new LocalList();
    l.apply(full(1, ['04a1b2c3d4e5f6']));
    expect(l.has(A)).toBe(true);
  });

  const malformed: [string, unknown][] = [
    ['no updateType', { listVersion: 2, localAuthorizationList: [] }],
    ['bad updateType', { listVersion: 2, updateType: 'Partial' }],
    ['version 0', { listVersion: 0, updateType: 'Full' }],
    ['fractional version', { listVersion: 2.5, updateType: 'Full' }],
    ['list not an array', { listVersion: 2, updateType: 'Full', localAuthorizationList: 'A' }],
    ['Full entry without idTagInfo', { listVersion: 2, updateType: 'Full', localAuthorizationList: [{ idTag: B }] }],
    ['empty idTag', { listVersion: 2, updateType: 'Full', localAuthorizationList: [{ idTag: '', idTagInfo: { status: 'Accepted' } }] }],
    ['idTag too long', { listVersion: 2, updateType: 'Full', localAuthorizationList: [{ idTag: 'X'.repeat(37), idTagInfo: { status: 'Accepted' } }] }],
    ['idTag with a space', { listVersion: 2, updateType: 'Full', localAuthorizationList: [{ idTag: 'A B', idTagInfo: { status: 'Accepted' } }] }],
    ['unknown status', { listVersion: 2, updateType: 'Full', localAuthorizationList: [{ idTag: B, idTagInfo: { status: 'Maybe' } }] }],
    ['ConcurrentTx in a list', { listVersion: 2, updateType: 'Full', localAuthorizationList: [{ idTag: B, idTagInfo: { status: 'ConcurrentTx' } }] }],
    ['expiryDate not a number', { listVersion: 2, updateType: 'Full', localAuthorizationList: [{ idTag: B, idTagInfo: { status: 'Accepted', expiryDate: '2026' } }] }],
    ['duplicate idTag', { listVersion: 2, updateType: 'Differential', localAuthorizationList: [{ idTag: B }, { idTag: B, idTagInfo: { status: 'Accepted' } }] }],
    ['bad entry after good ones', { listVersion: 2, updateType: 'Differential', localAuthorizationList: [{ idTag: C, idTagInfo: { status: 'Accepted' } }, null] }],
  ];
  for (const [what, update] of malformed)
    it(`malformed (${what}): LocalListError, list unchanged`, () => {
      const l = new LocalList();
      l.apply(full(1, [A]));
      expect(() => l.apply(update as LocalListUpdate)).toThrow(LocalListError);
      expect(l.ids()).toEqual([A]);
      expect(l.lookup(A)).toEqual({ status: 'Accepted' });
      expect(l.version).toBe(1);
    });

  it('an update past the list\'s capacity is refused whole', () => {
    const l = new LocalList(2);
    l.apply(full(1, [A]));
    expect(() => l.apply({ listVersion: 2, updateType: 'Differential', localAuthorizationList: [B, C].map((idTag) => ({ idTag, idTagInfo: { status: 'Accepted' as const } })) })).toThrow(/over the limit of 2/);
    expect(l.ids()).toEqual([A]);
    expect(l.version).toBe(1);
  });
});

describe('local list across reboots', () => {
  it('encode/decode keeps entries and version', () => {
    const l = new LocalList();
    l.apply({ listVersion: 9, updateType: 'Full', localAuthorizationList: [
      { idTag: A, idTagInfo: { status: 'Accepted', groupId: 'G', expiryDate: Date.UTC(2027, 0, 1) } },
      { idTag: B, idTagInfo: { status: 'Blocked' } },
    ] });
    const back = LocalList.decode(l.encode());
    expect(back.version).toBe(9);
    expect(back.lookup(A)).toEqual({ status: 'Accepted', groupId: 'G', expiryDate: Date.UTC(2027, 0, 1) });
    expect(back.lookup(B)).toEqual({ status: 'Blocked' });
    expect(LocalList.decode(new LocalList().encode()).version).toBe(0);
  });

  it('bytes that are not a stored list give LocalListError', () => {
    expect(() => LocalList.decode(new Uint8Array([0xff, 0x00, 0x13]))).toThrow(LocalListError);
    expect(() => LocalList.decode(new Uint8Array([0x01]))).toThrow(LocalListError);
  });
});
