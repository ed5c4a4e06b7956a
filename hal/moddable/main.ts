// Standalone boot of roam (firmware that includes roam's manifest brings its
// own main and calls startRoam with its meter): the config.roam of the manifest.
import config from 'mc/config';
import { startRoam, type RoamConfig } from './roam.js';

startRoam((config as { roam?: RoamConfig }).roam ?? {});
