// On a device TextEncoder and TextDecoder are modules, not globals; the
// portable core (and hal/settings.ts) uses the globals, as on Node and xsnap.
// Installed at run time by the Roam class (or a test app), never at preload: a
// global TextDecoder seen by fflate while xsl links would make fflate's top
// level call the text module's native constructor, which the linker lacks.
import Decoder from 'text/decoder';
import Encoder from 'text/encoder';

export function installTextGlobals(): void {
  const g = globalThis as { TextEncoder?: unknown; TextDecoder?: unknown };
  g.TextEncoder ??= Encoder;
  g.TextDecoder ??= Decoder;
}
