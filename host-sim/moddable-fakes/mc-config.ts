// Fake of the `mc/config` module mcconfig generates from the manifest's config.
import { device } from './device.js';

export default new Proxy({}, { get: (_t, k) => device.config[k as string] }) as Record<string, unknown>;
