// Gives the typed-array constructors their standard `name` while xsl links.
// A build with any `strip` (manifest_base's "*" included) links without
// function names, and cbor-x's decode.js reads `TypedArray.name` at its top
// level (registerTypedArray): the link stops with "cannot coerce undefined to
// object". roam's manifest preloads this module before cbor-x; it only sets a
// name that is missing, so on an engine that has names it does nothing.
const TYPED_ARRAYS: Array<[Function | undefined, string]> = [
  [Uint8Array, 'Uint8Array'], [Uint8ClampedArray, 'Uint8ClampedArray'], [Uint16Array, 'Uint16Array'],
  [Uint32Array, 'Uint32Array'], [Int8Array, 'Int8Array'], [Int16Array, 'Int16Array'], [Int32Array, 'Int32Array'],
  [Float32Array, 'Float32Array'], [Float64Array, 'Float64Array'],
  [globalThis.BigUint64Array, 'BigUint64Array'], [globalThis.BigInt64Array, 'BigInt64Array'],
];

for (const [C, name] of TYPED_ARRAYS) {
  if (C && typeof C.name !== 'string') Object.defineProperty(C, 'name', { value: name, configurable: true });
}

export {};
