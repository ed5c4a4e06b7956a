import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../xs/bundle.js';
import { BadInput, flashOption, parse, Unavailable, type Command } from './common.js';
import { readPartitionTable, tableFile, type FlashSize } from './partitions.js';

const TARGETS: Record<string, string> = { esp32: 'esp32', esp32s3: 'esp32/esp32s3' };
export type Target = 'esp32' | 'esp32s3';

/** The chip a partition table is for unless told: the 16 MB table needs an ESP32-S3 (and 8 MB is built for it by default). */
export function defaultTarget(flash: FlashSize): Target {
  return flash === '4MB' ? 'esp32' : 'esp32s3';
}

/** Checks --target and --flash together, as given by the user. */
export function checkTarget(target: string, flash: string): { target: Target; flash: FlashSize } {
  if (!(target in TARGETS)) throw new BadInput(`--target must be one of ${Object.keys(TARGETS).join(', ')}, got ${JSON.stringify(target)}`);
  flashOption(flash);
  if (flash === '16MB' && target === 'esp32')
    throw new BadInput('--flash 16MB with --target esp32: the 16MB table maps 6 MB token slots and a classic ESP32 maps at most 4 MB of data flash; use --target esp32s3 or --flash 8MB');
  return { target: target as Target, flash: flash as FlashSize };
}

const help = `usage: roam build [--target esp32|esp32s3] [--flash 4MB|8MB|16MB] [--debug] [--run]

Prints the mcconfig command that builds (and with -m, flashes) roam for a device;
--run runs it. Tested with the Moddable SDK 8.2.3 ($MODDABLE) and TypeScript 6.0.3
(the project's own, put first on PATH: SDK 8.2.3 needs TypeScript 6); flashing
needs ESP-IDF v6.0 ($IDF_PATH). Without ESP-IDF, npm run build:device runs the XS
stages (tsc, xsc, xsl) of every target.
16MB tables need --target esp32s3: a classic ESP32 maps at most 4 MB of data flash.
Exit codes: 0 printed (or built); 2 bad input (an option, a value, an extra
argument); 4 the SDK is missing; with --run, mcconfig's own.`;

const TSC_PATH = `PATH=${join(ROOT, 'node_modules', '.bin')}:$PATH`;

export function mcconfigCommand(target: string, flash: FlashSize, debug: boolean): string {
  return `${TSC_PATH} ROAM_FLASH=${flash} mcconfig${debug ? ' -d' : ''} -m -p ${TARGETS[target]} ${join(ROOT, 'manifest.json')}`;
}

export const build: Command = {
  help,
  run(args, out) {
    const { values } = parse('build', args, {
      target: { type: 'string', default: 'esp32s3' }, flash: { type: 'string', default: '16MB' },
      debug: { type: 'boolean', default: false }, run: { type: 'boolean', default: false },
    });
    const { target, flash } = checkTarget(values.target!, values.flash!);
    const command = mcconfigCommand(target, flash, values.debug!);
    const table = readPartitionTable(tableFile(flash));
    out(command);
    out(`partition table ${table.file}: ${table.tokenCapacity} tokens per slot, ${table.journalRecords} journal records`);
    out('needs: Moddable SDK 8.2.3 ($MODDABLE, its tools on PATH), ESP-IDF v6.0 ($IDF_PATH); TypeScript 6.0.3 comes from this project (npm ci)');
    if (!values.run) return 0;
    const sdk = process.env.MODDABLE;
    if (!sdk || !existsSync(join(sdk, 'tools'))) throw new Unavailable('the Moddable SDK is not installed: set $MODDABLE to its directory (https://github.com/Moddable-OpenSource/moddable, documentation/Moddable SDK - Getting Started.md)');
    const r = spawnSync('sh', ['-c', command], { stdio: 'inherit', cwd: ROOT });
    if (r.error) throw new Unavailable(`mcconfig could not start: ${r.error.message}`);
    return r.status ?? 1;
  },
};
