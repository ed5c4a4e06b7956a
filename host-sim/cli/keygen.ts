// The backend's token-list signing key: the pair a newcomer otherwise cuts out
// of an openssl DER by hand. backend.hex is what `roam provision --backend-key
// @backend.hex` reads; backend-key.pem (PKCS#8, what openssl and node:crypto
// read) is what the backend signs images, differentials and key rotations with.
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NodeSigner } from '../hal/node-crypto.js';
import { BadInput, gitWorkTree, outputDir, parse, readInput, Refused, writeOutputs, type Command } from './common.js';

export const PUBLIC_FILE = 'backend.hex';
export const PRIVATE_FILE = 'backend-key.pem';

const help = `usage: roam keygen --out DIR [--force] [--allow-in-repo]

Creates the backend's P-256 key pair, the key that signs the token lists,
differentials and key rotations the devices verify, and writes:
  DIR/${PUBLIC_FILE}      the public key, 65 bytes SEC1 uncompressed, in hex: what
                        roam provision --backend-key @DIR/${PUBLIC_FILE} puts on each device
  DIR/${PRIVATE_FILE}  the private key, PKCS#8 PEM, file mode 0600: what the
                        backend signs with (openssl pkey -in it reads it too)
The private key is never printed. Keep it off the devices and out of git:
keygen refuses to write it inside a git work tree unless --allow-in-repo.

options:
  --out DIR          output directory (created if missing)
  --force            replace a key pair already in DIR (devices provisioned with
                     the old public key then refuse every list signed with the new one)
  --allow-in-repo    write the private key even inside a git work tree

Exit codes: 0 written; 2 bad input (a missing option, an extra argument, an
--out that cannot be created or written; nothing written); 3 refused: DIR
already holds a key pair (--force), or DIR is inside a git work tree
(--allow-in-repo).`;

export const keygen: Command = {
  help,
  run(args, out) {
    const { values } = parse('keygen', args, {
      out: { type: 'string' }, force: { type: 'boolean', default: false }, 'allow-in-repo': { type: 'boolean', default: false },
    });
    if (!values.out) throw new BadInput('--out is required (roam keygen --help)');
    const dir = values.out;
    const repo = gitWorkTree(dir);
    if (repo && !values['allow-in-repo'])
      throw new Refused(`--out ${dir} is inside the git work tree ${repo}: a private key there is one "git add" from being published; choose a directory outside it, or --allow-in-repo`);
    if (!values.force && [PUBLIC_FILE, PRIVATE_FILE].some((f) => existsSync(join(dir, f))))
      throw new Refused(`${dir} already holds a backend key pair; --force replaces it (devices provisioned with the old public key refuse lists signed with the new one)`);
    const full = outputDir(dir, '--out');
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const signer = signerOf(privateKey);
    writeOutputs(full, '--out', [
      { name: PRIVATE_FILE, data: pem, mode: 0o600 },
      { name: PUBLIC_FILE, data: Buffer.from(signer.publicKey).toString('hex') + '\n' },
    ]);
    out(`public key ${Buffer.from(signer.publicKey).toString('hex')}`);
    out(`wrote ${join(dir, PUBLIC_FILE)} (public: roam provision --backend-key @${join(dir, PUBLIC_FILE)})`);
    out(`wrote ${join(dir, PRIVATE_FILE)} (private, mode 0600: the backend signs token lists with it; never on a device, never in git)`);
    return 0;
  },
};

/** The host signer (what host-sim/backend's SiteList takes) holding a P-256 private key. */
function signerOf(key: KeyObject): NodeSigner {
  const jwk = key.export({ format: 'jwk' });
  if (key.asymmetricKeyType !== 'ec' || jwk.crv !== 'P-256' || !jwk.d) throw new Error(`a ${key.asymmetricKeyType} key${jwk.crv ? ` on ${jwk.crv}` : ''}, not a P-256 private key`);
  return new NodeSigner(new Uint8Array(Buffer.from(jwk.d, 'base64url')));
}

/** The backend's signer from the key file keygen wrote (or any P-256 private key PEM). */
export function readBackendSigner(file: string): NodeSigner {
  const text = readInput(file, 'backend private key').toString('utf8');
  try {
    return signerOf(createPrivateKey(text));
  } catch (e) {
    throw new BadInput(`${file} is not a P-256 private key PEM: ${(e as Error).message}`);
  }
}
