// Fake of Moddable's `rng` (the ESP32 hardware RNG): deterministic xorshift
// bytes from the fake device, so runs repeat. Not random: a fake.
import { device } from './device.js';

const RNG = {
  get(byteLength: number): ArrayBuffer {
    return device.randomBytes(byteLength).buffer as ArrayBuffer;
  },
};
export default RNG;
