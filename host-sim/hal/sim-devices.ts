import type { EnergyMeter } from '../../hal/meter.js';
import type { RfidReader } from '../../hal/rfid.js';

/** A reader the simulator or a test presents cards to. */
export class SimReader implements RfidReader {
  onTap?: RfidReader['onTap'];
  constructor(readonly name = 'reader0') {}
  present(uid: Uint8Array): void {
    this.onTap?.({ reader: this.name, uid: uid.slice() });
  }
  close(): void {
    this.onTap = undefined;
  }
}

/** Cumulative Wh registers, one per connector, driven by the simulation. */
export class SimMeter implements EnergyMeter {
  private registers = new Map<number, number>();
  readWh(connector: number): number {
    return this.registers.get(connector) ?? 0;
  }
  /** Energy delivered on a connector; a meter register never goes back. */
  deliver(connector: number, wh: number): void {
    if (!(wh >= 0)) throw new RangeError(`energy delivered must be >= 0 Wh, got ${wh}`);
    this.registers.set(connector, this.readWh(connector) + wh);
  }
}
