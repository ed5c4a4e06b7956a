import Digital from 'embedded:io/digital';
import type { EnergyMeter } from '../meter.js';

export class MeterError extends Error {
  constructor(message: string) {
    super(message);
    // Defined, not assigned: on a device preloading freezes Error.prototype, and
    // `this.name = …` then throws ("set name: not writable") instead of naming the error.
    Object.defineProperty(this, 'name', { value: 'MeterError', writable: true, enumerable: true, configurable: true });
  }
}

/**
 * The charger's own meter, behind the HAL: `source` reads connector's register
 * in Wh (Modbus, the charger's metering IC, …). A register that goes back or
 * is not a finite number is refused rather than recorded in a signed session.
 */
export class RegisterMeter implements EnergyMeter {
  private readonly last = new Map<number, number>();
  constructor(private readonly source: (connector: number) => number) {}

  readWh(connector: number): number {
    const wh = this.source(connector);
    if (!Number.isFinite(wh) || wh < 0) throw new MeterError(`meter of connector ${connector} gave ${wh} Wh`);
    const before = this.last.get(connector);
    if (before !== undefined && wh < before) throw new MeterError(`meter of connector ${connector} went back from ${before} to ${wh} Wh`);
    this.last.set(connector, wh);
    return wh;
  }
}

/**
 * An S0 pulse output (IEC 62053-31): one falling edge per 1/impulsesPerKWh kWh,
 * one input pin per connector. Counts only while powered: persist readings if
 * the register must survive a reboot.
 */
export class PulseMeter implements EnergyMeter {
  private readonly counts: number[];
  private readonly inputs: Digital[];

  constructor(pins: number[], private readonly impulsesPerKWh = 1000) {
    if (!(impulsesPerKWh > 0)) throw new MeterError(`impulses per kWh must be > 0, got ${impulsesPerKWh}`);
    this.counts = pins.map(() => 0);
    this.inputs = pins.map((pin, i) => new Digital({
      pin, mode: Digital.InputPullUp, edge: Digital.Falling,
      onReadable: () => { this.counts[i]++; },
    }));
  }

  readWh(connector: number): number {
    if (!Number.isInteger(connector) || connector < 1 || connector > this.counts.length)
      throw new MeterError(`no pulse input for connector ${connector}`);
    return (this.counts[connector - 1] * 1000) / this.impulsesPerKWh;
  }

  close(): void {
    for (const d of this.inputs) d.close();
  }
}
