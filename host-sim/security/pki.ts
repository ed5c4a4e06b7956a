// A throw-away PKI for MQTT over TLS, made with the openssl command line at
// test time into a temporary directory (nothing here is ever committed): a test
// CA, the broker's certificate (SAN 127.0.0.1 and localhost), one client
// certificate per device (CN = device id, which mosquitto takes as the
// username) and one for the backend, plus a rogue CA and a device certificate
// it signed, to show that the broker refuses what its CA did not sign.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CANDIDATES = ['/usr/bin/openssl', '/usr/local/bin/openssl', '/bin/openssl'];

/** The openssl binary, or a clear error: TLS tests must fail, not skip, without it. */
export function opensslBinary(): string {
  for (const c of CANDIDATES) if (existsSync(c)) return c;
  const which = spawnSync('sh', ['-c', 'command -v openssl'], { encoding: 'utf8' });
  if (which.status === 0 && which.stdout.trim()) return which.stdout.trim();
  throw new Error('openssl is not installed: run `apt-get install -y openssl` (the CI script .ci/run installs it with mosquitto)');
}

/** PEM files of one identity. */
export interface Identity {
  name: string;
  keyFile: string;
  certFile: string;
  key: Buffer;
  cert: Buffer;
}

export interface TestPki {
  dir: string;
  caFile: string;
  ca: Buffer;
  broker: Identity;
  backend: Identity;
  devices: Map<string, Identity>;
  /** A device certificate signed by a CA the broker does not know. */
  rogue: Identity;
  /** Removes the directory and every key in it. */
  close(): void;
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync(opensslBinary(), args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
}

/** A P-256 key (the curve the device stack uses) in PKCS#8 PEM. */
function newKey(dir: string, file: string): void {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file], dir);
}

function makeCa(dir: string, name: string, cn: string): void {
  newKey(dir, `${name}.key`);
  openssl(['req', '-x509', '-new', '-key', `${name}.key`, '-sha256', '-days', '2', '-subj', `/CN=${cn}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign', '-out', `${name}.crt`], dir);
}

let serial = 0x1000;

function issue(dir: string, ca: string, name: string, cn: string, ext: string[]): Identity {
  newKey(dir, `${name}.key`);
  openssl(['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`], dir);
  writeFileSync(join(dir, `${name}.ext`), ext.join('\n') + '\n');
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-set_serial', String(serial++),
    '-days', '2', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.crt`], dir);
  const keyFile = join(dir, `${name}.key`), certFile = join(dir, `${name}.crt`);
  return { name: cn, keyFile, certFile, key: readFileSync(keyFile), cert: readFileSync(certFile) };
}

const CLIENT_EXT = ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth'];

/**
 * Makes the CA, the broker's, the backend's and each device's certificate.
 * Device ids become certificate CNs, so they must not hold '/' (they never
 * do: roam device ids are one MQTT topic level).
 */
export function makeTestPki(deviceIds: readonly string[], backendName = 'backend'): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'roam-pki-'));
  try {
    makeCa(dir, 'ca', 'roam test CA');
    makeCa(dir, 'rogue-ca', 'roam test CA'); // same name, other key: only the signature tells them apart
    const broker = issue(dir, 'ca', 'broker', 'localhost', [
      'basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ]);
    const backend = issue(dir, 'ca', 'backend', backendName, CLIENT_EXT);
    const devices = new Map<string, Identity>();
    deviceIds.forEach((id, i) => {
      if (/[/+#\s]/.test(id)) throw new Error(`device id ${JSON.stringify(id)} cannot be a certificate CN and an MQTT username`);
      devices.set(id, issue(dir, 'ca', `device-${i}`, id, CLIENT_EXT));
    });
    const rogue = issue(dir, 'rogue-ca', 'rogue-device', deviceIds[0] ?? 'rogue', CLIENT_EXT);
    const caFile = join(dir, 'ca.crt');
    return { dir, caFile, ca: readFileSync(caFile), broker, backend, devices, rogue, close: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
