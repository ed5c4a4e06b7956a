// What sync needs from the other capabilities, declared structurally so that
// sync depends on shapes, not on their modules. Adapters in host-sim (and the
// device's main) fit the real journal and token store to these.

/** One signed record as the journal holds it. */
export interface JournalRecord {
  seq: number;
  bytes: Uint8Array;
}

/** The session journal (src/sessions Journal fits as is), as the uploader sees it. */
export interface UploadJournal {
  /** Highest sequence number the backend acknowledged (persisted; survives reboot); 0 = none. */
  readonly ackedSeq: number;
  /** Highest sequence number appended; 0 = none. */
  readonly lastSeq: number;
  /**
   * Signed records from `seq` on, in order, totalling at most maxBytes (at
   * least one when any is ready). A record lost to flash corruption is skipped.
   */
  readFrom(seq: number, maxBytes: number): JournalRecord[];
  /** Persists that every record up to `seq` is stored by the backend. */
  acknowledge(seq: number): void;
  /** Records refused at append (they could not be encoded or read back), reported in `status`; absent: none counted. */
  readonly refused?: number;
  /**
   * Unacknowledged records lost to flash damage, as the journal's recovery
   * counted them (at most: a damaged stretch counts as many as it could
   * hold), reported in `status`; absent: none counted.
   */
  readonly lost?: number;
}

/** The A/B token table store, as the list client sees it. */
export interface ListStore {
  /** The version in force; 0 = no list. */
  version(): number;
  /** Starts writing a full image of `version`, `size` bytes, into the inactive slot. */
  beginFull(version: number, size: number): void;
  writeChunk(offset: number, bytes: Uint8Array): void;
  /** Verifies hash and signature and switches slots; throws when the image is bad. */
  commit(): void;
  /**
   * Applies one differential. Throws; isVersionMismatch(e) tells a
   * differential that does not follow the version in force from a bad one.
   */
  applyDifferential(bytes: Uint8Array): void;
  isVersionMismatch(error: unknown): boolean;
  /** Sequence of the backend key in force (0 = the provisioned key); absent: a store without rotation. */
  keySeq?(): number;
  /**
   * Applies one signed backend key rotation: verified with the key in force,
   * persisted, then in force for every later image and differential. Throws
   * when refused (forged, replayed, revoked key); nothing changes then.
   */
  rotateKey?(bytes: Uint8Array): void;
  /**
   * A partial full image left by a previous boot, if the store keeps one:
   * resuming continues from `written` (at most what was written before the
   * reboot; the commit verifies the whole image as it reads back from flash).
   */
  pendingFull?(): { version: number; size: number; written: number } | undefined;
}
