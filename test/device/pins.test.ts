import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPin, checkPins, PinError } from '../../hal/moddable/pins.js';
import { ROOT } from '../../host-sim/xs/bundle.js';

// Pins per chip, from Espressif's datasheets: ESP32 "GPIO pins 0–19, 21–23,
// 25–27, 32–39" with "GPIO 34–39 input only" and 6–11 on the SPI flash;
// ESP32-S3 "GPIO0–GPIO21, GPIO26–GPIO48" with 26–32 on the SPI flash/PSRAM.
const manifest = JSON.parse(readFileSync(join(ROOT, 'hal/moddable/manifest.json'), 'utf8'));
const platformConfig = (p: string) => manifest.platforms[p].config.roam;

describe('GPIO pins per chip', () => {
  it('the ESP32-S3 has no GPIO 22 or 23: refused, naming the setting and the pin', () => {
    expect(() => checkPin('esp32s3', 'config.roam.rfid.reset', 22, 'output')).toThrow(new PinError('config.roam.rfid.reset: GPIO 22 does not exist on the esp32s3'));
    expect(() => checkPin('esp32s3', 'config.roam.rfid.spi.out', 23, 'output')).toThrow(/spi\.out: GPIO 23 does not exist/);
    expect(() => checkPin('esp32', 'x', 22, 'output')).not.toThrow();
  });
  it('flash pins, input-only pins used as outputs, non-integers and shared pins are refused', () => {
    expect(() => checkPin('esp32', 'x', 6, 'input')).toThrow(/wired to the esp32's SPI flash/);
    expect(() => checkPin('esp32s3', 'x', 30, 'input')).toThrow(/SPI flash/);
    expect(() => checkPin('esp32', 'config.roam.rfid.select', 35, 'output')).toThrow(/GPIO 35 is input only/);
    expect(() => checkPin('esp32', 'x', 35, 'input')).not.toThrow();
    expect(() => checkPin('esp32', 'x', 4.5, 'input')).toThrow(/4\.5 is not a GPIO number/);
    expect(() => checkPin('esp32', 'x', '4', 'input')).toThrow(/"4" is not a GPIO number/);
    expect(() => checkPins('esp32', { rfid: { spi: { clock: 18, out: 23, in: 19 }, select: 18 } }))
      .toThrow(/config\.roam\.rfid\.select: GPIO 18 is already config\.roam\.rfid\.spi\.clock/);
  });
  it("the manifest's default pins are valid for each target, and the classic ESP32's are not for the S3", () => {
    expect(platformConfig('esp32').chip).toBe('esp32');
    expect(platformConfig('esp32/esp32s3').chip).toBe('esp32s3');
    expect(() => checkPins('esp32', platformConfig('esp32'))).not.toThrow();
    expect(() => checkPins('esp32s3', platformConfig('esp32/esp32s3'))).not.toThrow();
    expect(() => checkPins('esp32s3', platformConfig('esp32'))).toThrow(PinError);
  });
});
