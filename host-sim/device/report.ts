// The runner's pure parts: what the device app traced (host-sim/device/test-app/main.ts),
// and the comparison with Node's output.

export interface Expected {
  name: string;
  kind: 'scenario' | 'check';
  bytes: number;
  sha256: string;
  nodeMs: number;
  /** Node's output itself, to show where a differing device output starts to differ. */
  output?: Uint8Array;
}

export interface DeviceResult {
  bytes: number;
  sha256: string;
  ms: number;
  heap: string;
  /** The output as the app traced it in hex lines (its SHA-256 is the one the device computed). */
  hex: string;
}

export interface DeviceOutput {
  boot?: string;
  loaded?: string;
  done?: string;
  via: Map<string, string>;
  used: Map<string, string>;
  results: Map<string, DeviceResult>;
  errors: Map<string, string>;
  /** Items the app could not run, with the reason it printed (empty when it printed none). */
  skipped: Map<string, string>;
  /** Lines of the app that are not item lines (the harness's own errors). */
  other: string[];
  /** "XS abort: …" lines: the engine stopped (stack or memory exhausted, a fatal error). */
  aborts: string[];
  /** Peak of each column of an instrumented build's once-a-second "instruments:" lines (bytes, counts). */
  peaks: Map<string, number>;
}

/** Parses the app's "@roam …" lines; anything else mcsim prints is ignored. */
export function parseDeviceOutput(lines: string[]): DeviceOutput {
  const d: DeviceOutput = { via: new Map(), used: new Map(), results: new Map(), errors: new Map(), skipped: new Map(), other: [], aborts: [], peaks: new Map() };
  let columns: string[] = [];
  for (const raw of lines) {
    if (raw.startsWith('XS abort')) d.aborts.push(raw);
    if (raw.startsWith('instruments key: ')) columns = raw.slice(17).split(',');
    else if (raw.startsWith('instruments: ')) {
      raw.slice(13).split(',').forEach((v, i) => {
        const n = Number(v);
        if (columns[i] && Number.isFinite(n)) d.peaks.set(columns[i], Math.max(n, d.peaks.get(columns[i]) ?? 0));
      });
    }
    if (!raw.startsWith('@roam ')) continue;
    const l = raw.slice(6);
    const [kind] = l.split(' ', 1);
    const rest = l.slice(kind.length + 1);
    const sp = rest.indexOf(' ');
    const name = sp < 0 ? rest : rest.slice(0, sp);
    const text = sp < 0 ? '' : rest.slice(sp + 1);
    switch (kind) {
      case 'boot': d.boot = rest; break;
      case 'loaded': d.loaded = rest; break;
      case 'done': d.done = rest; break;
      case 'end': break;
      case 'via': d.via.set(name, text); break;
      case 'used': d.used.set(name, text); break;
      case 'error': d.errors.set(name, text); break;
      case 'skip': d.skipped.set(name, text.trim()); break;
      case 'result': {
        const f = Object.fromEntries(text.split(' ').map((kv) => kv.split('=', 2)));
        d.results.set(name, { bytes: Number(f.bytes), sha256: f.sha256 ?? '', ms: Number(f.ms), heap: `slots=${f.slots ?? '?'} chunks=${f.chunks ?? '?'}`, hex: '' });
        break;
      }
      case 'hex': {
        const r = d.results.get(name);
        const [at, h] = text.split(' ');
        if (r && Number(at) === r.hex.length / 2) r.hex += h ?? '';
        break;
      }
      default: d.other.push(l);
    }
  }
  return d;
}

export interface Report {
  table: string;
  failures: string[];
}

/**
 * One row per expected item. An item fails when its result is missing, differs
 * in length or SHA-256, or ended in an error. One the app could not run is
 * accepted only with the reason printed (a skip without one fails).
 */
export function compareRuns(expected: Expected[], device: DeviceOutput, finished: boolean): Report {
  const failures: string[] = [];
  const rows: string[][] = [['item', 'kind', 'Node bytes', 'mcsim bytes', 'equal', 'Node ms', 'mcsim ms', 'mcsim heap after', 'went through']];
  for (const e of expected) {
    const r = device.results.get(e.name);
    const err = device.errors.get(e.name);
    let where = '';
    const skip = device.skipped.get(e.name);
    let verdict: string;
    if (r) {
      const same = r.bytes === e.bytes && r.sha256 === e.sha256;
      verdict = same ? 'yes' : `NO (sha256 ${r.sha256.slice(0, 12)}… vs Node ${e.sha256.slice(0, 12)}…)`;
      if (!same) {
        where = e.output ? firstDifference(e.output, r.hex) : '';
        failures.push(`${e.name}: output differs from Node's${where ? ` ${where}` : ''}`);
      }
    } else if (err !== undefined) {
      verdict = `ERROR ${err}`;
      failures.push(`${e.name}: ${err}`);
    } else if (skip !== undefined) {
      verdict = skip ? `not run: ${skip}` : 'NOT RUN, no reason printed';
      if (!skip) failures.push(`${e.name}: not run and no reason printed`);
    } else {
      verdict = finished ? 'MISSING' : device.aborts.length ? `MISSING (${device.aborts[0]})` : 'MISSING (mcsim timed out or died)';
      failures.push(`${e.name}: no result from mcsim`);
    }
    rows.push([e.name, e.kind, String(e.bytes), r ? String(r.bytes) : '-', verdict, String(e.nodeMs), r ? String(r.ms) : '-', r?.heap ?? '-', device.used.get(e.name) ?? '']);
  }
  const known = new Set(expected.map((e) => e.name));
  for (const name of device.results.keys()) if (!known.has(name)) failures.push(`${name}: a result Node has no reference for`);
  for (const name of device.errors.keys()) if (!known.has(name)) failures.push(`${name}: ${device.errors.get(name)}`);
  for (const a of device.aborts) failures.push(`mcsim: ${a}`);
  if (!finished) failures.push('mcsim did not print its last line (timeout, or the app stopped)');
  const widths = rows[0].map((_, i) => Math.min(60, Math.max(...rows.map((r) => r[i].length))));
  const table = rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
  return { table, failures };
}

const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** Where the device's bytes (hex) leave Node's: the offset and a few bytes of each around it. */
export function firstDifference(node: Uint8Array, deviceHex: string): string {
  const n = toHex(node);
  let i = 0;
  while (i < n.length && i < deviceHex.length && n[i] === deviceHex[i]) i++;
  if (i === n.length && i === deviceHex.length) return '(the traced bytes equal Node\'s: the device\'s SHA-256 line is wrong)';
  const at = Math.floor(i / 2);
  const from = Math.max(0, at - 8) * 2;
  return `from byte ${at}: Node …${n.slice(from, from + 64)}… device …${deviceHex.slice(from, from + 64)}…`;
}
