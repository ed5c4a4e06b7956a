// GPIO numbers a reader or meter may use, per chip, so that a config naming a
// pin the chip lacks (or one wired to its SPI flash) is refused at boot with
// the pin's name, before any IO is opened. From Espressif's datasheets:
// ESP32 (v4.x §2.2): GPIO 0–39 minus 20, 24, 28–31; 6–11 are the SPI flash;
//   34–39 are input only.
// ESP32-S3 (v1.x §2.2): GPIO 0–21 and 26–48; 26–32 are the SPI flash/PSRAM.
export type Chip = 'esp32' | 'esp32s3';

export interface PinRule {
  exists(pin: number): boolean;
  /** Wired to the module's flash or PSRAM: never free for a peripheral. */
  reserved(pin: number): boolean;
  inputOnly(pin: number): boolean;
}

const RULES: Record<Chip, PinRule> = {
  esp32: {
    exists: (p) => p >= 0 && p <= 39 && p !== 20 && p !== 24 && !(p >= 28 && p <= 31),
    reserved: (p) => p >= 6 && p <= 11,
    inputOnly: (p) => p >= 34,
  },
  esp32s3: {
    exists: (p) => (p >= 0 && p <= 21) || (p >= 26 && p <= 48),
    reserved: (p) => p >= 26 && p <= 32,
    inputOnly: () => false,
  },
};

export class PinError extends Error {
  override name = 'PinError';
}

export function isChip(chip: unknown): chip is Chip {
  return chip === 'esp32' || chip === 'esp32s3';
}

/**
 * Throws PinError naming the setting and the pin when `pin` cannot serve as
 * `use` on `chip`. `where` is the config path, e.g. "config.roam.rfid.select".
 */
export function checkPin(chip: Chip, where: string, pin: unknown, use: 'input' | 'output'): void {
  const rule = RULES[chip];
  if (typeof pin !== 'number' || !Number.isInteger(pin)) throw new PinError(`${where}: ${JSON.stringify(pin)} is not a GPIO number`);
  if (!rule.exists(pin)) throw new PinError(`${where}: GPIO ${pin} does not exist on the ${chip}`);
  if (rule.reserved(pin)) throw new PinError(`${where}: GPIO ${pin} is wired to the ${chip}'s SPI flash`);
  if (use === 'output' && rule.inputOnly(pin)) throw new PinError(`${where}: GPIO ${pin} is input only on the ${chip}`);
}

export interface PinsConfig {
  rfid?: { spi: { clock: number; out: number; in: number }; select: number; reset?: number };
  connectors?: Array<{ meterPin?: number }>;
}

/** Every pin of a roam config, checked for `chip`; pins used twice are refused too. */
export function checkPins(chip: Chip, config: PinsConfig): void {
  const used = new Map<number, string>();
  const take = (where: string, pin: unknown, use: 'input' | 'output') => {
    checkPin(chip, where, pin, use);
    const other = used.get(pin as number);
    if (other) throw new PinError(`${where}: GPIO ${pin} is already ${other}`);
    used.set(pin as number, where);
  };
  const r = config.rfid;
  if (r) {
    take('config.roam.rfid.spi.clock', r.spi?.clock, 'output');
    take('config.roam.rfid.spi.out', r.spi?.out, 'output');
    take('config.roam.rfid.spi.in', r.spi?.in, 'input');
    take('config.roam.rfid.select', r.select, 'output');
    if (r.reset !== undefined) take('config.roam.rfid.reset', r.reset, 'output');
  }
  config.connectors?.forEach((c, i) => {
    if (c.meterPin !== undefined) take(`config.roam.connectors[${i}].meterPin`, c.meterPin, 'input');
  });
}
