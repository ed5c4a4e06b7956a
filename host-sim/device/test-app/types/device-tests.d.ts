// The module the runner bundles (host-sim/device/test-device.ts writes
// host-sim/device/.build/roam-device-tests.js): the shared scenarios, the device
// checks and the portable test doubles, with every import of roam's own code
// left to the modules mcconfig built from roam's manifest.
declare module 'roam-device-tests' {
  import type { Crypto, Platform, Random, Clock, FlashRegion, Signer, Settings, Transport } from 'roam/hal/index';

  export interface Scenario {
    name: string;
    partitions: Record<string, number>;
    seed?: number;
    run(platform: Platform): Uint8Array | Promise<Uint8Array>;
  }
  export interface CheckHal {
    crypto: Crypto;
    signer(privateKey: Uint8Array, publicKey: Uint8Array): Signer;
    settings(domain: string): Settings;
    transport(options: { host: string; port: number; id: string }): Transport;
    setTimeout(callback: () => void, ms: number): void;
  }
  export interface CheckEnv { broker: { host: string; port: number; prefix: string } }
  export interface DeviceCheck { name: string; device: string; run(hal: CheckHal, env: CheckEnv): Uint8Array | Promise<Uint8Array> }

  export const scenarios: Scenario[];
  /** Per scenario: what its code reaches besides the platform (from the bundle's import graph). */
  export const notes: Record<string, string[]>;
  export const checks: DeviceCheck[];
  export const env: CheckEnv;
  export class RamFlash implements FlashRegion {
    constructor(name: string, byteLength: number, blockSize?: number);
    readonly name: string;
    readonly byteLength: number;
    readonly blockSize: number;
    reads: number;
    writes: number;
    erases: number;
    read(offset: number, byteLength: number): Uint8Array;
    write(offset: number, data: Uint8Array): void;
    erase(block: number): void;
    map(): Uint8Array;
  }
  export class VirtualClock implements Clock {
    constructor();
    wall(): { ms: number; quality: 'U' | 'I' | 'S' | 'R' };
    monotonic(): number;
    setTimer(ms: number, callback: () => void, repeat?: boolean): number;
    clearTimer(id: number): void;
  }
  export class SeededRandom implements Random {
    constructor(seed: number);
    bytes(length: number): Uint8Array;
  }
}
