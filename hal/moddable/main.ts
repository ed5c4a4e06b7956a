// Standalone boot of roam (firmware that includes roam's manifest brings its
// own main): check the platform and the provisioning, report, and stand by.
import './globals.js';
import config from 'mc/config';
import { deviceSigner, moddablePlatform, SettingKeys } from './platform.js';

const roam = (config as { roam?: { domain?: string; tokenSlots?: string[]; journal?: string } }).roam ?? {};
const platform = moddablePlatform(roam.domain ?? 'roam');
const id = platform.settings.get(SettingKeys.deviceId);
const signer = deviceSigner(platform.settings);
trace(`roam: device ${id ?? '(not provisioned)'}, key ${signer ? 'present' : 'missing'}\n`);
for (const name of [...(roam.tokenSlots ?? ['tokens_a', 'tokens_b']), roam.journal ?? 'journal']) {
  const r = platform.flash(name);
  trace(`roam: partition ${name} ${r.byteLength} bytes\n`);
}
