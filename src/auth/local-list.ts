import { decodeCbor, encodeCbor } from '../codec/index.js';
import { AUTH_STATUSES, type AuthStatus, type IdTagInfo } from './status.js';

/** One entry of an OCPP SendLocalList: no idTagInfo in a Differential means "remove". */
export interface LocalListEntry {
  idTag: string;
  idTagInfo?: IdTagInfo;
}

export interface LocalListUpdate {
  listVersion: number;
  updateType: 'Full' | 'Differential';
  localAuthorizationList?: LocalListEntry[];
}

/** OCPP's UpdateStatus; a malformed update throws LocalListError instead. */
export type LocalListResult = 'Accepted' | 'VersionMismatch';

export class LocalListError extends Error {
  constructor(message: string) {
    super(message);
    // Defined, not assigned: on a device preloading freezes Error.prototype, and
    // `this.name = …` then throws ("set name: not writable") instead of naming the error.
    Object.defineProperty(this, 'name', { value: 'LocalListError', writable: true, enumerable: true, configurable: true });
  }
}

const ID_MAX = 36; // OCPP 2.0.1 IdToken; 1.6 idTag is 20
const GROUP_MAX = 36;

/**
 * The OCPP local authorization list. An update is checked in full before any
 * of it applies, so a bad one leaves the list as it was.
 */
export class LocalList {
  private entries = new Map<string, IdTagInfo>();
  private listVersion = 0;

  constructor(readonly maxEntries = 10_000) {}

  /** OCPP GetLocalListVersion: 0 when no list was ever sent. */
  get version(): number {
    return this.listVersion;
  }

  get size(): number {
    return this.entries.size;
  }

  lookup(uid: string): IdTagInfo | undefined {
    return this.entries.get(uid);
  }

  has(uid: string): boolean {
    return this.entries.has(uid);
  }

  ids(): string[] {
    return [...this.entries.keys()];
  }

  /** The list as bytes, to keep across reboots (OCPP requires the list to persist). */
  encode(): Uint8Array {
    const entries: LocalListEntry[] = [];
    for (const [idTag, idTagInfo] of this.entries) entries.push({ idTag, idTagInfo });
    return encodeCbor({ listVersion: this.listVersion, updateType: 'Full', localAuthorizationList: entries });
  }

  /** A list from encode()'s bytes, checked as a Full update is; LocalListError if they are not one. */
  static decode(bytes: Uint8Array, maxEntries?: number): LocalList {
    let update: LocalListUpdate;
    try {
      update = decodeCbor(bytes) as LocalListUpdate;
    } catch (e) {
      throw new LocalListError(`stored local list is not CBOR: ${(e as Error).message}`);
    }
    const list = new LocalList(maxEntries);
    if (update && update.listVersion === 0 && update.updateType === 'Full' && (update.localAuthorizationList ?? []).length === 0) return list;
    if (update?.updateType !== 'Full') throw new LocalListError('stored local list must be a Full list');
    list.apply(update);
    return list;
  }

  apply(update: LocalListUpdate): LocalListResult {
    const { listVersion, updateType } = checkHeader(update);
    const list = update.localAuthorizationList ?? [];
    if (!Array.isArray(list)) throw new LocalListError('localAuthorizationList must be an array');
    const seen = new Set<string>();
    const checked: [string, IdTagInfo | undefined][] = [];
    for (let i = 0; i < list.length; i++) {
      const [id, info] = checkEntry(list[i], i, updateType);
      if (seen.has(id)) throw new LocalListError(`entry ${i}: idTag ${id} appears twice in one update`);
      seen.add(id);
      checked.push([id, info]);
    }
    // A Differential must follow the device's version; the backend then resends Full.
    if (updateType === 'Differential' && listVersion <= this.listVersion) return 'VersionMismatch';
    const next = updateType === 'Full' ? new Map<string, IdTagInfo>() : new Map(this.entries);
    for (const [id, info] of checked) {
      if (info) next.set(id, info);
      else next.delete(id);
    }
    if (next.size > this.maxEntries)
      throw new LocalListError(`the list would hold ${next.size} entries, over the limit of ${this.maxEntries}`);
    this.entries = next;
    this.listVersion = listVersion;
    return 'Accepted';
  }
}

function checkHeader(u: LocalListUpdate): { listVersion: number; updateType: 'Full' | 'Differential' } {
  if (typeof u !== 'object' || u === null) throw new LocalListError('update must be an object');
  if (u.updateType !== 'Full' && u.updateType !== 'Differential')
    throw new LocalListError(`updateType must be Full or Differential, got ${String(u.updateType)}`);
  if (!Number.isInteger(u.listVersion) || u.listVersion < 1 || u.listVersion > 0x7fffffff)
    throw new LocalListError(`listVersion must be a positive integer, got ${String(u.listVersion)}`);
  return { listVersion: u.listVersion, updateType: u.updateType };
}

function checkEntry(e: LocalListEntry, i: number, type: 'Full' | 'Differential'): [string, IdTagInfo | undefined] {
  if (typeof e !== 'object' || e === null) throw new LocalListError(`entry ${i} must be an object`);
  const id = e.idTag;
  if (typeof id !== 'string' || id.length === 0 || id.length > ID_MAX || !/^[\x21-\x7e]+$/.test(id))
    throw new LocalListError(`entry ${i}: idTag must be 1..${ID_MAX} printable characters, got ${JSON.stringify(id)}`);
  // Readers deliver upper-case hex; a backend may send lower-case.
  const key = /^[0-9a-fA-F]+$/.test(id) ? id.toUpperCase() : id;
  const info = e.idTagInfo;
  if (info === undefined) {
    if (type === 'Full') throw new LocalListError(`entry ${i}: idTag ${id} has no idTagInfo in a Full update`);
    return [key, undefined];
  }
  if (typeof info !== 'object' || info === null) throw new LocalListError(`entry ${i}: idTagInfo must be an object`);
  if (!AUTH_STATUSES.includes(info.status) || info.status === 'ConcurrentTx')
    throw new LocalListError(`entry ${i}: status ${String(info.status)} cannot be stored in a local list`);
  if (info.expiryDate !== undefined && !Number.isFinite(info.expiryDate))
    throw new LocalListError(`entry ${i}: expiryDate must be wall-clock milliseconds`);
  if (info.groupId !== undefined && (typeof info.groupId !== 'string' || info.groupId.length === 0 || info.groupId.length > GROUP_MAX))
    throw new LocalListError(`entry ${i}: groupId must be 1..${GROUP_MAX} characters`);
  const kept: IdTagInfo = { status: info.status as AuthStatus };
  if (info.expiryDate !== undefined) kept.expiryDate = info.expiryDate;
  if (info.groupId !== undefined) kept.groupId = info.groupId;
  return [key, kept];
}
