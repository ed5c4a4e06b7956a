import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SettingValue } from '../../hal/settings.js';
import { SettingsError } from '../../hal/settings.js';
import { encodeValue } from '../../hal/moddable/nvs-encoding.js';
import { NodeSigner, nodeCrypto } from '../hal/node-crypto.js';
import { CliError, hexBytes, parse, type Command } from './common.js';
import { nvsImage, NvsError, type NvsValue } from './nvs.js';
import { FLASH_SIZES, readPartitionTable, tableFile, type FlashSize } from './partitions.js';

const help = `usage: roam provision --out DIR --site ID --broker URL --backend-key HEX|@FILE [options]

Creates a device identity (P-256 key pair, device id) and writes:
  DIR/nvs.bin            the NVS partition image (settings, namespace = preference domain)
  DIR/registration.json  what the backend needs: device id, site, public key
The private key goes only into nvs.bin; it is never printed.

options:
  --out DIR            output directory (created if missing)
  --site ID            site id
  --broker URL         MQTT broker, mqtt://host:port or mqtts://host:port
  --backend-key KEY    backend's P-256 public key, 65 bytes SEC1 hex, or @file holding it
  --device-id ID       device id (default: roam- and 12 hex digits of the public key's SHA-256)
  --uid-order ORDER    msb (as the card sends it) or lsb (reader reverses bytes); default msb
  --flash SIZE         4MB, 8MB or 16MB: the partition table to place nvs.bin in (default 16MB)
  --domain NAME        preference domain / NVS namespace (default roam)
  --force              replace an existing identity in DIR`;

export const provision: Command = {
  help,
  run(args, out) {
    const { values } = parse(args, {
      out: { type: 'string' }, site: { type: 'string' }, broker: { type: 'string' }, 'backend-key': { type: 'string' },
      'device-id': { type: 'string' }, 'uid-order': { type: 'string', default: 'msb' }, flash: { type: 'string', default: '16MB' },
      domain: { type: 'string', default: 'roam' }, force: { type: 'boolean', default: false },
    });
    for (const required of ['out', 'site', 'broker', 'backend-key'] as const)
      if (!values[required]) throw new CliError(`--${required} is required (roam provision --help)`, 2);
    const dir = values.out!;
    if (!/^mqtts?:\/\/[^/\s:]+(:\d{1,5})?\/?$/.test(values.broker!)) throw new CliError(`--broker must look like mqtt://host:port or mqtts://host:port, got ${values.broker}`, 2);
    if (!['msb', 'lsb'].includes(values['uid-order']!)) throw new CliError(`--uid-order must be msb or lsb`, 2);
    if (!FLASH_SIZES.includes(values.flash as FlashSize)) throw new CliError(`--flash must be one of ${FLASH_SIZES.join(', ')}`, 2);
    const keyText = values['backend-key']!.startsWith('@') ? readKeyFile(values['backend-key']!.slice(1)) : values['backend-key']!;
    const backendKey = hexBytes(keyText, '--backend-key', 65);
    if (backendKey[0] !== 4) throw new CliError('--backend-key must be an uncompressed SEC1 point (first byte 04)', 2);
    const nvsFile = join(dir, 'nvs.bin'), regFile = join(dir, 'registration.json');
    if (!values.force && (existsSync(nvsFile) || existsSync(regFile)))
      throw new CliError(`${dir} already holds a device identity; --force replaces it (the old key is lost)`, 3);

    const table = readPartitionTable(tableFile(values.flash as FlashSize));
    const nvs = table.partitions.find((p) => p.name === 'nvs')!;
    const signer = new NodeSigner();
    const deviceId = values['device-id'] ?? `roam-${Buffer.from(nodeCrypto.sha256(signer.publicKey).digest().subarray(0, 6)).toString('hex')}`;
    const settings: Record<string, SettingValue> = {
      deviceId, siteId: values.site!, broker: values.broker!,
      backendKey, deviceKey: signer.exportPrivateKey(), devicePub: signer.publicKey,
      uidOrder: values['uid-order']!,
    };
    let image: Uint8Array;
    try {
      const stored: Record<string, NvsValue> = {};
      for (const [k, v] of Object.entries(settings)) {
        const e = encodeValue(k, v);
        stored[k] = e instanceof ArrayBuffer ? new Uint8Array(e) : e;
      }
      image = nvsImage(nvs.size, values.domain!, stored);
    } catch (e) {
      if (e instanceof NvsError || e instanceof SettingsError) throw new CliError(e.message, 2);
      throw e;
    }
    mkdirSync(dir, { recursive: true });
    writeFileSync(nvsFile, image);
    const registration = {
      deviceId, siteId: values.site, algorithm: 'ECDSA-secp256r1-SHA256',
      publicKey: Buffer.from(signer.publicKey).toString('hex'), createdAt: new Date().toISOString(),
    };
    writeFileSync(regFile, JSON.stringify(registration, null, 2) + '\n');
    out(`device ${deviceId} (site ${values.site})`);
    out(`public key ${registration.publicKey}`);
    out(`wrote ${nvsFile} (${image.length} bytes, NVS namespace "${values.domain}") and ${regFile}`);
    out(`flash it: esptool.py --chip esp32 write_flash 0x${nvs.offset.toString(16)} ${nvsFile}`);
    return 0;
  },
};

function readKeyFile(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    throw new CliError(`cannot read the backend key file ${file}`, 2);
  }
}
