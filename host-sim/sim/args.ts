/** `--name value` and `--flag` options; unknown options are an error, so typos do not pass silently. */
export function parseArgs<T extends Record<string, string | number | boolean | undefined>>(argv: string[], defaults: T): T {
  const out: Record<string, unknown> = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const key = a.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (!(key in defaults)) throw new Error(`unknown option ${a}; options: ${Object.keys(defaults).map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(' ')}`);
    const d = defaults[key];
    if (typeof d === 'boolean') { out[key] = true; continue; }
    const v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    if (typeof d === 'number') {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) throw new Error(`${a} must be a non-negative number, got ${v}`);
      out[key] = n;
    } else out[key] = v;
  }
  return out as T;
}
