// What board.ts (and the hal/moddable/settings.ts it imports) use of mcsim's
// own modules, for the host's tsc; on mcsim they are Moddable's.
declare module 'preference' {
  const Preference: {
    get(domain: string, key: string): string | number | boolean | ArrayBuffer | undefined;
    set(domain: string, key: string, value: string | number | boolean | ArrayBuffer): void;
    delete(domain: string, key: string): void;
    keys(domain: string): string[];
  };
  export default Preference;
}
declare module 'timer' {
  const Timer: { set(callback: () => void, ms?: number): unknown };
  export default Timer;
}
declare function trace(text: string): void;
declare module 'text/decoder' {
  const Decoder: typeof globalThis.TextDecoder;
  export default Decoder;
}
declare module 'text/encoder' {
  const Encoder: typeof globalThis.TextEncoder;
  export default Encoder;
}
