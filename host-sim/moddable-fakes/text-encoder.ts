// Fake of Moddable's `text/encoder` module: the engine's own TextEncoder.
export default globalThis.TextEncoder;
