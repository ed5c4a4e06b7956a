import type { HostPlatform } from '../hal/index.js';
import { serveBridge } from './bridge-host.js';
import { bundleForXs } from './bundle.js';
import { XsWorker, type XsMeter } from './worker.js';

/**
 * A long-lived XS machine for benchmarks and tests: load a bundle once, then
 * evaluate small expressions and read the meter of each. The entry source is
 * TypeScript resolved from the repository root (import './src/…').
 */
export class XsSession {
  private constructor(private readonly worker: XsWorker, readonly bundleBytes: number) {}

  static async open(entrySource: string, platform: HostPlatform): Promise<XsSession> {
    const code = await bundleForXs(entrySource);
    const worker = new XsWorker(serveBridge(platform));
    try {
      await worker.evaluate(code);
    } catch (e) {
      worker.close();
      throw e;
    }
    return new XsSession(worker, code.length);
  }

  /** Evaluates `expression`; an ArrayBuffer result comes back as bytes. */
  eval(expression: string): Promise<{ result: Uint8Array; meter: XsMeter }> {
    return this.worker.evaluate(expression);
  }

  /** XS units of `expression` net of the cost of evaluating an empty statement. */
  async units(expression: string): Promise<number> {
    const base = (await this.eval('void 0')).meter.compute;
    return (await this.eval(expression)).meter.compute - base;
  }

  /**
   * Peak heap growth (bytes, slots at 16 B) of `expression`, after a collection.
   * XS never gives back reserved space and collects only when the reserve is
   * full, so measure on a session that has not run bigger work before: then the
   * reserve is near the live heap and garbage cannot pass for peak.
   */
  async peakHeap(expression: string): Promise<{ units: number; peakHeapBytes: number }> {
    await this.eval('gc()');
    const { meter } = await this.eval(expression);
    return { units: meter.compute, peakHeapBytes: meter.peakHeapBytes };
  }

  /** Bytes of live heap (slots at 16 B) after a collection: what the machine retains. */
  async liveHeap(): Promise<number> {
    await this.eval('gc()');
    return (await this.eval('void 0')).meter.startHeapBytes;
  }

  close(): void {
    this.worker.close();
  }
}
