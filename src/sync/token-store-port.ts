import { TokenUpdateError, type TokenStore } from '../tokens/index.js';
import type { ListStore } from './ports.js';

/**
 * The tokens A/B store as the list client's ListStore. The image header
 * carries its own version, so the offered one is only for the list client's
 * bookkeeping; VersionMismatch and a full overlay both mean "send a full image".
 * A transfer cut by a reboot comes back through pendingFull from the store's
 * last progress record.
 */
export function listStoreOf(store: TokenStore): ListStore {
  return {
    version: () => store.version ?? 0,
    beginFull: (_version, size) => store.beginFull(size),
    writeChunk: (offset, bytes) => store.writeChunk(offset, bytes),
    commit: () => void store.commit(),
    applyDifferential: (bytes) => void store.applyDifferential(bytes),
    isVersionMismatch: (e) => e instanceof TokenUpdateError && e.needsFullImage,
    keySeq: () => store.keySeq,
    rotateKey: (bytes) => void store.rotateKey(bytes),
    pendingFull: () => store.pendingFull(),
  };
}
