// A charger's firmware around roam: one connector with a contactor, a status
// LED, a cable-detect input, an MFRC522 reader and an S0 energy meter. roam
// decides taps and records sessions; this firmware switches the power.
//
//   tap → roam decides (onDecision)          LED blinks the answer
//   plug in → roam.plugIn(1)                 an authorized connector starts its session
//   onSessionStarted → startCharging, contactor closed
//   onEnergyStop / onSuspend → contactor open (post-authorization said no)
//   unplug → roam.unplug(1) → onSessionEnded (its record's seq): contactor open
//
// Pins and roam's settings come from this manifest's config (config.charger,
// config.roam); the device identity from NVS (`npx roam provision`).
import config from 'mc/config';
import Digital from 'embedded:io/digital';
import Timer from 'timer';
import { Roam, RoamError, type RoamOptions } from 'roam/hal/moddable/roam';

interface ChargerPins {
  contactor: number;
  led: number;
  /** Cable detect: high while a cable is in the socket. */
  plug: number;
}

const CONNECTOR = 1;
const log = (line: string) => trace(`${line}\n`);

/** Starts the charger; Moddable calls it at boot. Returns what stops it (a power-down). */
export default function charger(): { close(): void } {
  const pins = (config as unknown as { charger: ChargerPins }).charger;
  const contactor = new Digital({ pin: pins.contactor, mode: Digital.Output });
  const led = new Digital({ pin: pins.led, mode: Digital.Output });
  const power = (on: boolean) => {
    contactor.write(on ? 1 : 0);
    log(`charger: contactor ${on ? 'closed' : 'open'}`);
  };
  const blink = (times: number) => {
    let n = times * 2;
    Timer.repeat((t) => {
      led.write(n & 1 ? 0 : 1);
      if (--n <= 0) Timer.clear(t);
    }, 150);
  };
  power(false);

  let roam: Roam;
  try {
    roam = new Roam((config as unknown as { roam: RoamOptions }).roam, {
      onDecision: (d) => blink(d.accept ? 1 : 3),
      onSessionStarted: (e) => {
        roam.startCharging(e.connector);
        power(true);
      },
      onEnergyStop: () => power(false),
      onSuspend: () => power(false),
      onResume: () => power(true),
      onSessionEnded: () => power(false),
      onLinkUp: () => led.write(1),
      onLinkDown: () => led.write(0),
      log: (line) => log(`roam: ${line}`),
    });
  } catch (e) {
    contactor.close();
    led.close();
    log(`charger: roam did not start: ${e instanceof RoamError ? `${e.code}: ${e.message}` : String(e)}`);
    throw e;
  }

  const plug = new Digital({
    pin: pins.plug, mode: Digital.Input, edge: Digital.Rising | Digital.Falling,
    onReadable(this: Digital) {
      if (this.read()) roam.plugIn(CONNECTOR);
      else roam.unplug(CONNECTOR);
    },
  });
  if (plug.read()) roam.plugIn(CONNECTOR); // a cable left in across a power cut

  return {
    close() {
      plug.close();
      roam.close();
      contactor.close();
      led.close();
    },
  };
}
