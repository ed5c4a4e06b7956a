import { Decoder } from 'cbor-x/decode';
import { Encoder } from 'cbor-x/encode';

// One fixed configuration, so that bytes are identical on Node and XS and
// stable across releases: plain maps, no record extension, untagged byte strings.
const options = { useRecords: false, mapsAsObjects: true, tagUint8Array: false, variableMapSize: true } as const;
const encoder = new Encoder(options);
const decoder = new Decoder(options);

export function encodeCbor(value: unknown): Uint8Array {
  return encoder.encode(value);
}

export function decodeCbor(bytes: Uint8Array): unknown {
  return decoder.decode(bytes);
}
