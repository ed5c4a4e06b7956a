// The pinned Moddable SDK as the device scripts use it: where it is, the
// environment mcconfig and the generated makefiles need, and a run of a tool.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT } from '../xs/bundle.js';

export const SDK_VERSION = '8.2.3';
export const BUILD_DIR = join(ROOT, 'host-sim', 'device', '.build');

export class UsageError extends Error {}

export interface Sdk {
  moddable: string;
  /** The empty git repository tagged v6.0 that install.sh makes: IDF_PATH for the XS stages only. */
  idfStub: string;
  env: NodeJS.ProcessEnv;
}

/** True when running in CI, where a missing SDK is a failure, never a skip. */
export const inCi = (): boolean => Boolean(process.env.CI) || process.env.ROAM_CI === '1';

/**
 * The SDK from $MODDABLE, or undefined when it is not installed. The env puts
 * the project's TypeScript (6.x, what SDK 8.2.3 needs) first on PATH.
 */
export function findSdk(): Sdk | undefined {
  const moddable = process.env.MODDABLE;
  if (!moddable || !existsSync(join(moddable, 'tools', 'mcconfig.js'))) return undefined;
  const bin = join(moddable, 'build', 'bin', 'lin', 'release');
  if (!existsSync(join(bin, 'mcconfig'))) return undefined;
  const idfStub = process.env.ROAM_IDF_STUB ?? join(dirname(moddable), 'idf-stub');
  const env = { ...process.env, PATH: `${join(ROOT, 'node_modules', '.bin')}:${bin}:${process.env.PATH ?? ''}`, IDF_PATH: idfStub };
  return { moddable, idfStub, env };
}

export const INSTALL_HINT = 'install it with: eval "$(../shared/moddable/install.sh)" (sets MODDABLE and PATH)';

/**
 * The SDK, or: outside CI a loud skip line and exit 0; in CI exit 2. What
 * `what` names is the check that could not run.
 */
export function requireSdk(what: string): Sdk {
  const sdk = findSdk();
  if (sdk) return sdk;
  if (inCi()) {
    process.stderr.write(`${what}: the Moddable SDK ${SDK_VERSION} is not installed ($MODDABLE); in CI this is a failure. ${INSTALL_HINT}\n`);
    process.exit(2);
  }
  process.stdout.write(`\n########## SKIPPED: ${what} needs the Moddable SDK ${SDK_VERSION} ($MODDABLE is not set); ${INSTALL_HINT} ##########\n\n`);
  process.exit(0);
}

export interface Run { code: number; out: string }

/** Runs a command, collecting stdout and stderr together; `echo` streams lines that match. */
export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd = ROOT, echo?: (line: string) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let partial = '';
    const take = (b: Buffer) => {
      const s = b.toString('utf8');
      out += s;
      if (!echo) return;
      const lines = (partial + s).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) echo(l);
    };
    p.stdout.on('data', take);
    p.stderr.on('data', take);
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

/**
 * mcconfig (no -m: it only writes the makefile, tsconfigs and partition files)
 * for `manifest` on `platform`, into BUILD_DIR/<label>. Returns the folder
 * holding the generated makefile.
 */
export async function mcconfig(sdk: Sdk, manifest: string, platform: string, label: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const out = join(BUILD_DIR, label);
  mkdirSync(out, { recursive: true });
  const r = await run('mcconfig', ['-o', out, '-p', platform, manifest], { ...sdk.env, ...env });
  if (r.code !== 0) throw new Error(`mcconfig -p ${platform} ${manifest} failed:\n${r.out.trim()}`);
  const name = manifestName(manifest);
  const tmp = join(out, 'tmp', ...platform.split('/'), 'release', name);
  if (!existsSync(join(tmp, 'makefile'))) throw new Error(`mcconfig wrote no makefile in ${tmp}:\n${r.out.trim()}`);
  return tmp;
}

/** mcconfig names a build after the folder of its manifest. */
function manifestName(manifest: string): string {
  const parts = dirname(manifest).split('/');
  return parts[parts.length - 1];
}
