import { existsSync, readFileSync } from 'node:fs';
import { CliError, parse, type Command } from './common.js';
import { decodeString } from '../../hal/moddable/nvs-encoding.js';
import { readNvs, type NvsValue } from './nvs.js';
import { FLASH_SIZES, readPartitionTable, tableFile, type FlashSize } from './partitions.js';

const SECRET = new Set(['deviceKey']);

const inspectHelp = `usage: roam inspect (--dump FLASH.bin [--flash 4MB|8MB|16MB] | --nvs NVS.bin) [--domain roam]

Reads a whole-flash dump (esptool.py read_flash 0 <size> FLASH.bin) laid out by
roam's partition table, or an NVS image alone, and prints the settings, the
active token table and the journal. The device private key is never shown.`;

export function loadNvs(values: { dump?: string; nvs?: string; flash?: string }): Uint8Array {
  if (!!values.dump === !!values.nvs) throw new CliError('give exactly one of --dump or --nvs', 2);
  const file = (values.dump ?? values.nvs)!;
  if (!existsSync(file)) throw new CliError(`no such file: ${file}`, 2);
  const bytes = new Uint8Array(readFileSync(file));
  if (values.nvs) return bytes;
  if (!FLASH_SIZES.includes(values.flash as FlashSize)) throw new CliError(`--flash must be one of ${FLASH_SIZES.join(', ')}`, 2);
  const table = readPartitionTable(tableFile(values.flash as FlashSize));
  if (bytes.length !== table.flashSize) throw new CliError(`${file} is ${bytes.length} bytes; a ${values.flash} dump is ${table.flashSize}`, 2);
  const nvs = table.partitions.find((p) => p.name === 'nvs')!;
  return bytes.subarray(nvs.offset, nvs.offset + nvs.size);
}

function show(key: string, v: NvsValue): string {
  if (SECRET.has(key)) return `(private key, ${v instanceof Uint8Array ? v.length : '?'} bytes, not shown)`;
  if (v instanceof Uint8Array) return `${Buffer.from(v).toString('hex')} (${v.length} bytes)`;
  return JSON.stringify(typeof v === 'string' ? decodeString(v) : v);
}

export const inspect: Command = {
  help: inspectHelp,
  run(args, out) {
    const { values } = parse(args, {
      dump: { type: 'string' }, nvs: { type: 'string' }, flash: { type: 'string', default: '16MB' }, domain: { type: 'string', default: 'roam' },
    });
    let namespaces;
    try {
      namespaces = readNvs(loadNvs(values));
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw new CliError(`not a readable NVS image: ${(e as Error).message}`, 1);
    }
    const settings = namespaces.get(values.domain!);
    out(`settings (NVS namespace "${values.domain}"):`);
    if (!settings || settings.size === 0) out('  none: the device is not provisioned');
    else for (const [k, v] of [...settings].sort()) out(`  ${k.padEnd(15)} ${show(k, v)}`);
    out('token table: not yet: the on-flash token table reader (src/tokens) has not landed in roam');
    out('journal: not yet: the record journal reader (src/sessions) has not landed in roam');
    return 0;
  },
};

export const lookup: Command = {
  help: `usage: roam lookup --dump FLASH.bin --uid HEX [--flash 16MB]

What the device would decide for a card UID, from a flash dump, with the reason.`,
  run(args) {
    parse(args, { dump: { type: 'string' }, uid: { type: 'string' }, flash: { type: 'string', default: '16MB' } });
    throw new CliError('not yet: lookup needs the token table (src/tokens) and the decision (src/auth) wired to a flash dump', 4);
  },
};
