import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { SettingValue } from '../../hal/settings.js';
import { SettingsError } from '../../hal/settings.js';
import { brokerOf, BrokerUrlError } from '../../hal/moddable/broker-url.js';
import { encodeValue } from '../../hal/moddable/nvs-encoding.js';
import { checkDeviceId } from '../../src/sync/topics.js';
import { NodeSigner, nodeCrypto, p256PublicKey } from '../hal/node-crypto.js';
import { checkTarget, defaultTarget } from './build.js';
import { BadInput, domainOption, flashOption, gitWorkTree, hexBytes, outputDir, parse, readInput, Refused, writeOutputs, type Command } from './common.js';
import { nvsImage, NvsError, type NvsValue } from './nvs.js';
import { readPartitionTable, tableFile } from './partitions.js';

const help = `usage: roam provision --out DIR --site ID --broker URL --backend-key HEX|@FILE [options]

Creates a device identity (P-256 key pair, device id) and writes:
  DIR/nvs.bin            the NVS partition image (settings, namespace = preference domain)
  DIR/registration.json  what the backend needs: device id, site, public key
The private key goes only into nvs.bin (written mode 0600); it is never
printed. When DIR is inside a git work tree, provision warns: nvs.bin must not
be committed (--allow-in-repo silences it).

options:
  --out DIR            output directory (created if missing)
  --site ID            site id
  --broker URL         MQTT broker, mqtt://host[:port] or mqtts://host[:port]: a DNS
                       name or IPv4 address, port 1..65535 (default 1883, 8883)
  --backend-key KEY    backend's P-256 public key, 65 bytes SEC1 hex (04 x y, a point
                       on the curve), or @FILE holding it (roam keygen writes backend.hex)
  --device-id ID       device id, one MQTT topic level: 1..64 of A-Z a-z 0-9 _ . : * -
                       (default: roam- and 12 hex digits of the public key's SHA-256)
  --uid-order ORDER    msb (as the card sends it) or lsb (reader reverses bytes); default msb
  --flash SIZE         4MB, 8MB or 16MB: the partition table to place nvs.bin in (default 16MB)
  --target CHIP        esp32 or esp32s3, for the esptool hint (default: esp32 for 4MB,
                       esp32s3 for 8MB and 16MB; 16MB needs esp32s3)
  --domain NAME        preference domain / NVS namespace (default roam)
  --force              replace an existing identity in DIR
  --allow-in-repo      no warning when DIR is inside a git work tree

Exit codes: 0 written; 2 bad input (a missing or malformed option, a key that
is not a P-256 point, an extra argument, an --out that cannot be created or
written; nothing written); 3 refused: DIR already holds an identity (--force).`;

export const provision: Command = {
  help,
  run(args, out, err) {
    const { values } = parse('provision', args, {
      out: { type: 'string' }, site: { type: 'string' }, broker: { type: 'string' }, 'backend-key': { type: 'string' },
      'device-id': { type: 'string' }, 'uid-order': { type: 'string', default: 'msb' }, flash: { type: 'string', default: '16MB' },
      target: { type: 'string' }, domain: { type: 'string', default: 'roam' }, force: { type: 'boolean', default: false },
      'allow-in-repo': { type: 'boolean', default: false },
    });
    for (const required of ['out', 'site', 'broker', 'backend-key'] as const)
      if (!values[required]) throw new BadInput(`--${required} is required (roam provision --help)`);
    brokerOption(values.broker!);
    if (!['msb', 'lsb'].includes(values['uid-order']!)) throw new BadInput(`--uid-order must be msb or lsb, got ${JSON.stringify(values['uid-order'])}`);
    const { target, flash } = checkTarget(values.target ?? defaultTarget(flashOption(values.flash!)), values.flash!);
    const domain = domainOption(values.domain!);
    if (values['device-id'] !== undefined) deviceIdOption(values['device-id']);
    const backendKey = backendKeyOption(values['backend-key']!);
    const dir = values.out!;
    const nvsFile = join(dir, 'nvs.bin'), regFile = join(dir, 'registration.json');
    if (!values.force && (existsSync(nvsFile) || existsSync(regFile)))
      throw new Refused(`${dir} already holds a device identity; --force replaces it (the old key is lost)`);

    const table = readPartitionTable(tableFile(flash));
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
      image = nvsImage(nvs.size, domain, stored);
    } catch (e) {
      if (e instanceof NvsError || e instanceof SettingsError) throw new BadInput(e.message);
      throw e;
    }
    const full = outputDir(dir, '--out');
    const registration = {
      deviceId, siteId: values.site, algorithm: 'ECDSA-secp256r1-SHA256',
      publicKey: Buffer.from(signer.publicKey).toString('hex'), createdAt: new Date().toISOString(),
    };
    writeOutputs(full, '--out', [
      { name: 'nvs.bin', data: image, mode: 0o600 },
      { name: 'registration.json', data: JSON.stringify(registration, null, 2) + '\n' },
    ]);
    const repo = gitWorkTree(full);
    if (repo && !values['allow-in-repo'])
      err(`roam provision: warning: ${nvsFile} holds the device's private key and is inside the git work tree ${repo}: keep it out of commits (move it, or --allow-in-repo to silence this)`);
    out(`device ${deviceId} (site ${values.site})`);
    out(`public key ${registration.publicKey}`);
    out(`wrote ${nvsFile} (${image.length} bytes, NVS namespace "${domain}") and ${regFile}`);
    out(`flash it: esptool.py --chip ${target} write_flash 0x${nvs.offset.toString(16)} ${nvsFile}`);
    return 0;
  },
};

/** --broker: the device's own rule (hal/moddable/broker-url.ts), so it never boots into a broker it cannot parse. */
function brokerOption(url: string): string {
  try {
    brokerOf(url);
  } catch (e) {
    if (e instanceof BrokerUrlError) throw new BadInput(`--broker ${e.message}`);
    throw e;
  }
  return url;
}

/** --device-id: one MQTT topic level, the rule the device's topics enforce (src/sync/topics.ts). */
function deviceIdOption(id: string): string {
  try {
    return checkDeviceId(id);
  } catch (e) {
    throw new BadInput(`--device-id ${(e as Error).message.replace(/^device id /, '')}`);
  }
}

/** --backend-key: 65 bytes SEC1 uncompressed, and a point on P-256 (the device could verify nothing with anything else). */
export function backendKeyOption(value: string): Uint8Array {
  const fromFile = value.startsWith('@');
  const text = fromFile ? readInput(value.slice(1), '--backend-key').toString('utf8').trim() : value;
  const what = fromFile ? `--backend-key (${value.slice(1)})` : '--backend-key';
  const key = hexBytes(text, what, 65);
  if (key[0] !== 4) throw new BadInput(`${what} must be an uncompressed SEC1 point (first byte 04)`);
  try {
    p256PublicKey(key);
  } catch {
    throw new BadInput(`${what} is not a point on the P-256 curve: a public key made with roam keygen (or openssl) is`);
  }
  return key;
}
