// On a device TextEncoder and TextDecoder are modules, not globals; the
// portable core (and hal/settings.ts) uses the globals. Import this module
// first (the manifest preloads it) so they exist before anything else runs.
import Decoder from 'text/decoder';
import Encoder from 'text/encoder';

declare global {
  // Declared here because the device build has no DOM lib.
  var TextEncoder: typeof Encoder;
  var TextDecoder: typeof Decoder;
}

const g = globalThis as { TextEncoder?: unknown; TextDecoder?: unknown };
g.TextEncoder ??= Encoder;
g.TextDecoder ??= Decoder;

export {};
