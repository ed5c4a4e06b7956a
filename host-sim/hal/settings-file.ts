import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { checkSetting, type Settings, type SettingValue } from '../../hal/settings.js';
import { PowerCut, PowerSwitch } from './power.js';

/**
 * Settings in a JSON file (or only in memory), with NVS limits. Each set() is
 * one atomic commit (write a temporary file, then rename), as NVS commits are.
 */
export class FileSettings implements Settings {
  private values = new Map<string, SettingValue>();

  constructor(private readonly file?: string, private readonly power = new PowerSwitch()) {
    if (file && existsSync(file)) {
      const json = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      for (const [k, v] of Object.entries(json))
        this.values.set(k, isBytes(v) ? new Uint8Array(Buffer.from(v.$bytes, 'base64')) : (v as SettingValue));
    }
  }

  get(key: string): SettingValue | undefined {
    this.power.assertOn();
    const v = this.values.get(key);
    return v instanceof Uint8Array ? v.slice() : v;
  }

  set(key: string, value: SettingValue): void {
    checkSetting(key, value);
    const next = new Map(this.values).set(key, value instanceof Uint8Array ? value.slice() : value);
    this.commit(next);
  }

  delete(key: string): void {
    if (!this.values.has(key)) return;
    const next = new Map(this.values);
    next.delete(key);
    this.commit(next);
  }

  keys(): string[] {
    return [...this.values.keys()];
  }

  private commit(next: Map<string, SettingValue>): void {
    // A cut before the commit leaves the old values: NVS entries are atomic.
    if (this.power.beginWrite()) throw new PowerCut(this.power.writes);
    this.values = next;
    if (!this.file) return;
    const json: Record<string, unknown> = {};
    for (const [k, v] of next) json[k] = v instanceof Uint8Array ? { $bytes: Buffer.from(v).toString('base64') } : v;
    writeFileSync(`${this.file}.tmp`, JSON.stringify(json, null, 1));
    renameSync(`${this.file}.tmp`, this.file);
  }
}

function isBytes(v: unknown): v is { $bytes: string } {
  return typeof v === 'object' && v !== null && typeof (v as { $bytes?: unknown }).$bytes === 'string';
}
