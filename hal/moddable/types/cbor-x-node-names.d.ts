// cbor-x's declarations (node_modules/cbor-x/index.d.ts) name Node's Buffer,
// Blob and stream. None exists on a device and cbor-x does not use them there
// (it checks at run time and works on Uint8Array); these names let the device
// code that imports src/ (which imports cbor-x) type-check without Node's types.
type Buffer = Uint8Array;
type Blob = never;
declare module 'stream' {
  export class Transform {}
  export class Readable {}
}
