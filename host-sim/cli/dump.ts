// A device's storage as the technician has it: either a whole-flash image
// (esptool.py read_flash 0 <size> flash.bin) laid out by one of roam's
// partition tables, or a directory of per-partition files `<partition>.bin`
// (what SimFlash writes with its `file` option) plus the settings as `nvs.bin`
// (an NVS image) or `settings.json` (the simulator's FileSettings file).
// Everything is read into memory; the files are never written. Regions handed
// to src/ are copies: the journal's recovery may erase sectors, in the copy only.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FlashError, type FlashRegion } from '../../hal/flash.js';
import type { SettingValue } from '../../hal/settings.js';
import { decodeString } from '../../hal/moddable/nvs-encoding.js';
import { ROAM_PARTITIONS, roamRegionNames } from '../../hal/moddable/regions.js';
import { Journal } from '../../src/sessions/index.js';
import { SlotSelector } from '../../src/tokens/selector.js';
import { nodeCrypto } from '../hal/node-crypto.js';
import { BadInput, CheckFailed, flashOption, readInput } from './common.js';
import { readNvs } from './nvs.js';
import { FLASH_SIZES, readPartitionTable, tableFile, type FlashSize } from './partitions.js';

export const BLOCK = 4096;

export interface Dump {
  /** What was read, for the report. */
  describe: string;
  regions: Map<string, Uint8Array>;
  settings?: Map<string, SettingValue>;
  settingsSource?: string;
}

/** A region over a private copy of the dump's bytes: NOR rules kept, the file untouched. */
export class DumpRegion implements FlashRegion {
  readonly blockSize = BLOCK;
  private readonly bytes: Uint8Array;
  constructor(readonly name: string, source: Uint8Array) {
    this.bytes = source.slice();
  }
  get byteLength(): number {
    return this.bytes.length;
  }
  read(offset: number, byteLength: number): Uint8Array {
    this.check(offset, byteLength);
    return this.bytes.slice(offset, offset + byteLength);
  }
  write(offset: number, data: Uint8Array): void {
    this.check(offset, data.length);
    for (let i = 0; i < data.length; i++) this.bytes[offset + i] &= data[i];
  }
  erase(block: number): void {
    if (!Number.isInteger(block) || block < 0 || block >= this.bytes.length / BLOCK) throw new FlashError(this.name, `erase of block ${block} outside the region`);
    this.bytes.fill(0xff, block * BLOCK, (block + 1) * BLOCK);
  }
  map(): Uint8Array {
    return this.bytes;
  }
  private check(offset: number, length: number): void {
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > this.bytes.length)
      throw new FlashError(this.name, `access [${offset}, ${offset + length}) outside [0, ${this.bytes.length})`);
  }
}

/** The platform src/ needs to read a dump: its regions (copies) and the host's crypto. */
export function dumpPlatform(dump: Dump) {
  const open = new Map<string, DumpRegion>();
  return {
    crypto: nodeCrypto,
    flash(name: string): FlashRegion {
      let r = open.get(name);
      if (!r) {
        const bytes = dump.regions.get(name);
        if (!bytes) throw new CheckFailed(`the dump has no partition ${name}`);
        open.set(name, (r = new DumpRegion(name, bytes)));
      }
      return r;
    },
  };
}

/**
 * NVS namespace values as the device's PreferenceSettings returns them. An
 * image that is not whole pages (a truncated copy) is bad input, exit 2.
 */
export function settingsFromNvs(image: Uint8Array, domain: string, file = 'the NVS image'): Map<string, SettingValue> | undefined {
  let namespaces;
  try {
    namespaces = readNvs(image);
  } catch (e) {
    throw new BadInput(`${file} is not an NVS image: ${(e as Error).message} (a truncated copy? esptool.py read_flash reads the whole partition)`);
  }
  const ns = namespaces.get(domain);
  if (!ns) return undefined;
  const out = new Map<string, SettingValue>();
  for (const [k, v] of ns) out.set(k, typeof v === 'string' ? decodeString(v) : v);
  return out;
}

function settingsFromJson(file: string): Map<string, SettingValue> {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readInput(file, 'settings').toString('utf8'));
  } catch (e) {
    if (e instanceof BadInput) throw e;
    throw new BadInput(`${file} is not a settings file: ${(e as Error).message}`);
  }
  const out = new Map<string, SettingValue>();
  for (const [k, v] of Object.entries(json)) {
    if (v && typeof v === 'object' && typeof (v as { $bytes?: unknown }).$bytes === 'string') out.set(k, new Uint8Array(Buffer.from((v as { $bytes: string }).$bytes, 'base64')));
    else if (['string', 'number', 'boolean'].includes(typeof v)) out.set(k, v as SettingValue);
    else throw new BadInput(`${file}: setting ${k} is not a string, number, boolean or bytes`);
  }
  return out;
}

/** Opens a whole-flash image or a directory of partition files. */
export function openDump(path: string, options: { flash?: string; domain: string }): Dump {
  if (!existsSync(path)) throw new BadInput(`no such file or directory: ${path}`);
  if (statSync(path).isDirectory()) return openDir(path, options.domain);
  const bytes = new Uint8Array(readInput(path, 'dump'));
  let size = options.flash === undefined ? undefined : flashOption(options.flash);
  if (size === undefined) {
    size = FLASH_SIZES.find((s) => readPartitionTable(tableFile(s)).flashSize === bytes.length);
    if (!size) throw new BadInput(`${path} is ${bytes.length} bytes: not a whole 4MB, 8MB or 16MB flash image (a directory of partition files also works)`);
  }
  const table = readPartitionTable(tableFile(size));
  if (bytes.length !== table.flashSize) throw new BadInput(`${path} is ${bytes.length} bytes; a ${size} dump is ${table.flashSize}`);
  const regions = new Map<string, Uint8Array>();
  for (const p of table.partitions) if (p.type === 'data') regions.set(p.name, bytes.subarray(p.offset, p.offset + p.size));
  const nvs = regions.get(ROAM_PARTITIONS.nvs);
  return {
    describe: `${path}: whole-flash image, ${size} partition table (${table.file.split('/').pop()})`,
    regions,
    settings: nvs ? settingsFromNvs(nvs, options.domain) : undefined,
    settingsSource: `NVS partition ${ROAM_PARTITIONS.nvs} at 0x${table.partitions.find((p) => p.name === ROAM_PARTITIONS.nvs)!.offset.toString(16)}, namespace "${options.domain}"`,
  };
}

function openDir(dir: string, domain: string): Dump {
  const regions = new Map<string, Uint8Array>();
  const found: string[] = [];
  for (const name of roamRegionNames()) {
    const file = join(dir, `${name}.bin`);
    if (!existsSync(file)) continue;
    const bytes = new Uint8Array(readInput(file, 'dump'));
    if (bytes.length === 0 || bytes.length % BLOCK !== 0) throw new BadInput(`${file} is ${bytes.length} bytes: a partition file is whole 4096-byte blocks (a truncated copy?)`);
    regions.set(name, bytes);
    found.push(name);
  }
  let settings: Map<string, SettingValue> | undefined;
  let settingsSource: string | undefined;
  if (existsSync(join(dir, 'nvs.bin'))) {
    settings = settingsFromNvs(new Uint8Array(readInput(join(dir, 'nvs.bin'), 'dump')), domain, join(dir, 'nvs.bin'));
    settingsSource = `${join(dir, 'nvs.bin')} (NVS image), namespace "${domain}"`;
  } else if (existsSync(join(dir, 'settings.json'))) {
    settings = settingsFromJson(join(dir, 'settings.json'));
    settingsSource = `${join(dir, 'settings.json')} (simulator settings file)`;
  }
  if (found.length === 0 && !settings) {
    const names = readdirSync(dir).slice(0, 8).join(', ');
    throw new BadInput(`${dir} holds none of ${roamRegionNames().map((n) => `${n}.bin`).join(', ')}, nvs.bin, settings.json (found: ${names || 'nothing'})`);
  }
  const dump = { describe: `${dir}: partition files (${found.map((n) => `${n}.bin`).join(', ') || 'none'})`, regions, settings, settingsSource };
  checkRegionsOpen(dump, dir);
  return dump;
}

/**
 * A partition file of a size the device never has (the journal or the
 * selector needs two blocks): bad input, said here once, rather than an
 * error out of src/ when the report opens the region.
 */
function checkRegionsOpen(dump: Dump, dir: string): void {
  const p = ROAM_PARTITIONS;
  const opens: Array<[string, (r: FlashRegion) => unknown]> = [
    [p.journal, (r) => new Journal(r, { crypto: nodeCrypto, deviceId: 'check' })],
    [p.tokenSelector, (r) => new SlotSelector(r)],
  ];
  for (const [name, open] of opens) {
    const bytes = dump.regions.get(name);
    if (!bytes) continue;
    try {
      open(new DumpRegion(name, bytes));
    } catch (e) {
      throw new BadInput(`${join(dir, `${name}.bin`)} (${bytes.length} bytes) is no ${name} region the device could open: ${(e as Error).message}`);
    }
  }
}
