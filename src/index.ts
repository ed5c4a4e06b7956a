// roam's portable core. One folder per capability; each exports a small surface.
export * as codec from './codec/index.js';
