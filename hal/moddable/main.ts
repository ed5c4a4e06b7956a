// Standalone boot of roam from the manifest's config.roam (charger firmware
// that includes roam's manifest brings its own main: examples/charger).
import config from 'mc/config';
import { Roam, RoamError, type RoamConfig } from './roam.js';

try {
  const roam = new Roam((config as { roam?: RoamConfig }).roam ?? {}, {
    onDecision: (d) => trace(`roam: connector ${d.connector}: ${d.action} (${d.status}) ${d.uid}\n`),
    onError: (e) => trace(`roam: ${e.source} ${e.code}: ${e.message}\n`),
  });
  const b = roam.boot;
  trace(`roam: list v${b.listVersion}, local list v${b.localListVersion}, ${b.powerLossRecords.length} session(s) closed by power loss\n`);
} catch (e) {
  trace(`roam: ${e instanceof RoamError ? `${e.code}: ${e.message}` : String(e)}\n`);
}
