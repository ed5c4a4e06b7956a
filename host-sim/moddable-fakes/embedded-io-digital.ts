// Fake of ECMA-419 `embedded:io/digital`: a pin of the fake board; write/read
// reach whatever the test attached to that pin number (device.pins).
import { device } from './device.js';

export default class Digital {
  static readonly Input = 0;
  static readonly InputPullUp = 1;
  static readonly InputPullDown = 2;
  static readonly InputPullUpDown = 3;
  static readonly Output = 8;
  static readonly OutputOpenDrain = 9;
  static readonly Rising = 1;
  static readonly Falling = 2;
  private closed = false;
  private value = 0;
  constructor(readonly options: { pin: number; mode: number; edge?: number; onReadable?: () => void }) {
    if (!Number.isInteger(options.pin) || options.pin < 0 || options.pin > 48) throw new RangeError(`embedded:io/digital: invalid pin ${options.pin}`);
    if (device.inUse.has(`pin${options.pin}`)) throw new Error(`embedded:io/digital: pin ${options.pin} in use`);
    device.inUse.add(`pin${options.pin}`);
    if (options.mode < Digital.Output) {
      this.value = device.levels.get(options.pin) ?? (options.mode === Digital.InputPullUp ? 1 : 0);
      device.inputs.set(options.pin, (level) => {
        if (this.closed || level === this.value) return;
        const edge = level ? Digital.Rising : Digital.Falling;
        this.value = level;
        if ((options.edge ?? 0) & edge) options.onReadable?.call(this);
      });
    }
  }
  write(value: number): void {
    if (this.closed) throw new Error('embedded:io/digital: closed');
    this.value = value ? 1 : 0;
    device.pins.get(this.options.pin)?.write?.(this.value);
  }
  read(): number {
    if (this.closed) throw new Error('embedded:io/digital: closed');
    return device.pins.get(this.options.pin)?.read?.() ?? this.value; // an input's level is what drive() set
  }
  close(): void {
    if (!this.closed) {
      device.inUse.delete(`pin${this.options.pin}`);
      device.inputs.delete(this.options.pin);
    }
    this.closed = true;
  }
}
