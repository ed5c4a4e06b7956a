// One backend worker process: a BackendPeer on an MQTT shared subscription,
// the site's list and device keys read from the shared database, its records
// in a database of its own. Started by BackendWorkers (workers.ts).
// Args: --shared FILE --records FILE --broker URL --site NAME --group G [--chunk-bytes N] [--id N]
// Prints "ready" once subscribed; SIGTERM closes it (exit 0). Exit 2: bad arguments.
import { MqttTransport, NodeSigner, nodeCrypto } from '../hal/index.js';
import { BackendDb } from './db.js';
import { BackendPeer } from './peer.js';
import { SiteList } from './site-list.js';

const args = new Map<string, string>();
const argv = process.argv.slice(2);
for (let i = 0; i + 1 < argv.length; i += 2) args.set(argv[i], argv[i + 1]);
const need = ['--shared', '--records', '--broker', '--site', '--group'];
if (need.some((k) => !args.get(k))) {
  console.error(`roam backend worker: ${need.join(' ')} are required`);
  process.exit(2);
}
const site = args.get('--site')!;
const shared = new BackendDb(args.get('--shared')!);
const own = new BackendDb(args.get('--records')!, { durability: 'normal' });
const secret = shared.secret(`site:${site}`, () => { throw new Error(`no signing key for site ${site} in the shared database`); });
const list = new SiteList(new NodeSigner(secret), nodeCrypto, Date.now);
list.persistTo(shared, site);
const transport = new MqttTransport(args.get('--broker')!, { clientId: `roam-backend-${site}-w${args.get('--id') ?? process.pid}` });
const peer = new BackendPeer({
  transport, crypto: nodeCrypto, site: list, chunkBytes: Number(args.get('--chunk-bytes') ?? 8192), repo: own, shareGroup: args.get('--group'),
  resolveKey: (id) => shared.deviceKey(id),
});
transport.onConnect = ((inner) => () => { inner?.(); console.log('ready'); })(transport.onConnect);
const cpu0 = process.cpuUsage();
process.on('SIGTERM', () => {
  const cpu = process.cpuUsage(cpu0);
  console.log(`stats ${JSON.stringify({ ...peer.counters, cpuMs: Math.round((cpu.user + cpu.system) / 1000), rssBytes: process.memoryUsage().rss })}`);
  transport.close();
  own.close();
  shared.close();
  process.exit(0);
});
