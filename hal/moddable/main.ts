// Standalone boot of roam (firmware that includes roam's manifest brings its
// own main): check the platform and the provisioning, open the token store and
// the journal on the partitions the manifest names, report, and stand by.
import './globals.js';
import config from 'mc/config';
import { deviceSigner, moddablePlatform, openJournal, openTokenStore, partitionsOf, SettingKeys } from './platform.js';

const roam = (config as { roam?: { domain?: string; partitions?: unknown } }).roam ?? {};
const partitions = partitionsOf(roam.partitions);
const platform = moddablePlatform(roam.domain ?? 'roam');
const id = platform.settings.get(SettingKeys.deviceId);
const backendKey = platform.settings.get(SettingKeys.backendKey);
const signer = deviceSigner(platform.settings);
trace(`roam: device ${id ?? '(not provisioned)'}, key ${signer ? 'present' : 'missing'}\n`);
if (typeof id === 'string' && backendKey instanceof Uint8Array) {
  const store = openTokenStore(platform, backendKey, partitions);
  const s = store.status;
  trace(`roam: token list ${s.version === undefined ? 'none' : `v${s.version} (slot ${s.slot}, ${s.tokens} tokens, ${s.overlayEntries} changes)`}${store.bootError ? `, boot error: ${store.bootError.message}` : ''}\n`);
  const journal = openJournal(platform, id, signer, partitions);
  trace(`roam: journal ${journal.lastSeq} records, ${journal.depth} to upload\n`);
}
