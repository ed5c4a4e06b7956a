// Fake of Moddable's `text/decoder` module: the engine's own TextDecoder.
export default globalThis.TextDecoder;
