import type { Settings, SettingValue } from '../../hal/settings.js';

/** NVS in RAM for the scenarios (portable: Node, XS, mcsim). */
export class MemorySettings implements Settings {
  private m = new Map<string, SettingValue>();
  get(k: string) { return this.m.get(k); }
  set(k: string, v: SettingValue) { this.m.set(k, v instanceof Uint8Array ? v.slice() : v); }
  delete(k: string) { this.m.delete(k); }
  keys() { return [...this.m.keys()]; }
}
