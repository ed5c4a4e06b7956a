// roam's portable core. One folder per capability; each exports a small surface.
// Data flows one way: HAL in (taps, flash, time, messages), decisions and records out.
export * as codec from './codec/index.js';
export * as tokens from './tokens/index.js';
export * as auth from './auth/index.js';
export * as sessions from './sessions/index.js';
export * as sync from './sync/index.js';
export * as charger from './charger/index.js';
