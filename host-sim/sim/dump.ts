// `npm start -- --dump DIR`: each simulated charger's flash partitions and NVS
// as the device would hold them, in the directory form `roam inspect` and
// `roam lookup` read (<partition>.bin per region, nvs.bin an ESP-IDF NVS image
// of the preference domain). The NVS writer and partition tables are the
// technician CLI's (host-sim/cli), so the dump is what `roam provision` would
// have written plus what the device stored since.
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SettingValue } from '../../hal/settings.js';
import { encodeValue } from '../../hal/moddable/nvs-encoding.js';
import { ROAM_PARTITIONS } from '../../hal/moddable/regions.js';
import { SettingKeys } from '../../hal/moddable/settings-keys.js';
import { nvsImage, type NvsValue } from '../cli/nvs.js';
import { readPartitionTable, tableFile } from '../cli/partitions.js';
import { UsageError } from './args.js';
import type { SimCharger } from './charger.js';

/** The settings provisioning gives a device (the simulator hands them to the Charger as options). */
export interface Identity {
  siteId: string;
  broker: string;
  backendKey: Uint8Array;
}

/** Checks before the run that DIR can be made and written: bad input is refused before any work. */
export function prepareDumpDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw new UsageError(`--dump must be a directory that can be created and written: ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** NVS as the device holds it: the provisioned identity and every setting the charger stored, in the 16 MB table's NVS partition. */
export function chargerNvs(c: SimCharger, id: Identity): Uint8Array {
  const values = new Map<string, SettingValue>([
    [SettingKeys.deviceId, c.id], [SettingKeys.siteId, id.siteId], [SettingKeys.broker, id.broker],
    [SettingKeys.backendKey, id.backendKey], [SettingKeys.deviceKey, c.signer.exportPrivateKey()], [SettingKeys.devicePub, c.signer.publicKey],
    [SettingKeys.uidOrder, 'msb'],
  ]);
  for (const k of c.settings.keys()) values.set(k, c.settings.get(k)!);
  const stored: Record<string, NvsValue> = {};
  for (const [k, v] of values) {
    const e = encodeValue(k, v);
    stored[k] = e instanceof ArrayBuffer ? new Uint8Array(e) : e;
  }
  const nvs = readPartitionTable(tableFile('16MB')).partitions.find((p) => p.name === ROAM_PARTITIONS.nvs)!;
  return nvsImage(nvs.size, 'roam', stored);
}

/** Writes DIR/<charger id>/: one file per flash region and nvs.bin. Returns the charger's directory. */
export function dumpCharger(c: SimCharger, dir: string, id: Identity): string {
  const out = join(dir, c.id);
  mkdirSync(out, { recursive: true });
  for (const [name, region] of c.platform.regions) writeFileSync(join(out, `${name}.bin`), region.read(0, region.byteLength));
  writeFileSync(join(out, 'nvs.bin'), chargerNvs(c, id));
  return out;
}
