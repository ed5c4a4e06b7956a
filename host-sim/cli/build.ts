import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../xs/bundle.js';
import { CliError, parse, type Command } from './common.js';
import { FLASH_SIZES, readPartitionTable, tableFile, type FlashSize } from './partitions.js';

const TARGETS: Record<string, string> = { esp32: 'esp32', esp32s3: 'esp32/esp32s3' };

const help = `usage: roam build [--target esp32|esp32s3] [--flash 4MB|8MB|16MB] [--debug] [--run]

Prints the mcconfig command that builds (and with -m, flashes) roam for a device;
--run runs it. Tested with the Moddable SDK 8.2.3 ($MODDABLE) and TypeScript 6.0.3
(the project's own, put first on PATH: SDK 8.2.3 needs TypeScript 6); flashing
needs ESP-IDF v6.0 ($IDF_PATH). Without ESP-IDF, npm run build:device runs the XS
stages (tsc, xsc, xsl) of every target.
16MB tables need --target esp32s3: a classic ESP32 maps at most 4 MB of data flash.
Exit codes: 0 printed (or built), 2 bad option, 4 SDK missing; with --run, mcconfig's own.`;

const TSC_PATH = `PATH=${join(ROOT, 'node_modules', '.bin')}:$PATH`;

export function mcconfigCommand(target: string, flash: FlashSize, debug: boolean): string {
  return `${TSC_PATH} ROAM_FLASH=${flash} mcconfig${debug ? ' -d' : ''} -m -p ${TARGETS[target]} ${join(ROOT, 'manifest.json')}`;
}

export const build: Command = {
  help,
  run(args, out) {
    const { values } = parse(args, {
      target: { type: 'string', default: 'esp32s3' }, flash: { type: 'string', default: '16MB' },
      debug: { type: 'boolean', default: false }, run: { type: 'boolean', default: false },
    });
    if (!(values.target! in TARGETS)) throw new CliError(`--target must be one of ${Object.keys(TARGETS).join(', ')}`, 2);
    if (!FLASH_SIZES.includes(values.flash as FlashSize)) throw new CliError(`--flash must be one of ${FLASH_SIZES.join(', ')}`, 2);
    const flash = values.flash as FlashSize;
    if (flash === '16MB' && values.target === 'esp32')
      throw new CliError('the 16MB table maps 6 MB token slots: a classic ESP32 maps at most 4 MB of data flash; use --target esp32s3 or --flash 8MB', 2);
    const command = mcconfigCommand(values.target!, flash, values.debug!);
    const table = readPartitionTable(tableFile(flash));
    out(command);
    out(`partition table ${table.file}: ${table.tokenCapacity} tokens per slot, ${table.journalRecords} journal records`);
    out('needs: Moddable SDK 8.2.3 ($MODDABLE, its tools on PATH), ESP-IDF v6.0 ($IDF_PATH); TypeScript 6.0.3 comes from this project (npm ci)');
    if (!values.run) return 0;
    const sdk = process.env.MODDABLE;
    if (!sdk || !existsSync(join(sdk, 'tools'))) throw new CliError('the Moddable SDK is not installed: set $MODDABLE to its directory (https://github.com/Moddable-OpenSource/moddable, documentation/Moddable SDK - Getting Started.md)', 4);
    const r = spawnSync('sh', ['-c', command], { stdio: 'inherit', cwd: ROOT });
    if (r.error) throw new CliError(`mcconfig could not start: ${r.error.message}`, 4);
    return r.status ?? 1;
  },
};
