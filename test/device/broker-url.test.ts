import { p256 } from '@noble/curves/nist.js';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BrokerUrlError, brokerOf } from '../../hal/moddable/broker-url.js';
import { main } from '../../host-sim/cli/main.js';
import { readNvs } from '../../host-sim/cli/nvs.js';
import { BAD_BROKERS, GOOD_BROKERS } from './broker-urls.js';

// The broker rule on Node and through the CLI; the same table runs inside XS
// on the device's Roam (test/device/roam-on-xs.test.ts).
describe('the broker URL rule (hal/moddable/broker-url.ts)', () => {
  it.each(GOOD_BROKERS)('takes %s', (url, broker) => {
    expect(brokerOf(url)).toEqual(broker);
  });

  it.each(BAD_BROKERS)('refuses %j, saying what is wrong', (url, message) => {
    expect(() => brokerOf(url)).toThrow(new BrokerUrlError(message));
  });

  it('refuses what is not a string (an NVS value of another type) with the same message, not a TypeError', () => {
    expect(() => brokerOf(1883 as unknown as string)).toThrow(BrokerUrlError);
  });
});

describe('roam provision --broker: the device\'s rule', () => {
  const backend = Buffer.from(p256.getPublicKey(p256.utils.randomSecretKey(), false)).toString('hex');
  const provision = async (out: string, broker: string) => {
    const lines: string[] = [];
    const code = await main(['provision', '--out', out, '--site', 'S1', '--broker', broker, '--backend-key', backend, '--flash', '4MB'], () => {}, (s) => { lines.push(s); });
    return { code, err: lines.join('\n') };
  };

  it('refuses every bad URL with exit 2 and the rule\'s message, writing nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roam-broker-'));
    for (const [url, message] of BAD_BROKERS) {
      const r = await provision(join(dir, 'out'), url);
      expect(r, url).toEqual({ code: 2, err: `roam provision: --broker ${message}` });
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('writes a good URL into NVS as given, the string the device parses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'roam-broker-'));
    for (const [i, [url]] of [GOOD_BROKERS[0], GOOD_BROKERS[4]].entries()) {
      const out = join(dir, `dev${i}`);
      expect((await provision(out, url)).code, url).toBe(0);
      expect(readNvs(new Uint8Array(readFileSync(join(out, 'nvs.bin')))).get('roam')!.get('broker')).toBe(url);
    }
  });
});
