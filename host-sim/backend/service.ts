// The backend as one service: its database, the partners' tokens, the site's
// signed list, the MQTT peer for the site's devices, and the OCPI HTTP side.
// `npm run backend` runs it as a process (main.ts); tests build it in process too.
import type { FastifyInstance } from 'fastify';
import { fromHex, toHex } from '../../src/codec/index.js';
import { MqttTransport, NodeSigner, nodeCrypto } from '../hal/index.js';
import { BackendDb } from './db.js';
import { cdrSource, pushCdrs, type CdrContext, type PushReport } from './ocpi/cdr.js';
import { pullTokens, type PullReport } from './ocpi/pull.js';
import { ListFeed } from './ocpi/list-feed.js';
import { PartnerTokens } from './ocpi/partner-tokens.js';
import { ocpiServer, type OcpiPartner } from './ocpi/server.js';
import { BackendPeer } from './peer.js';
import { ocpiDiffBuilder, SiteList } from './site-list.js';

export interface BackendConfig {
  /** SQLite database file (created when absent). */
  db: string;
  /** MQTT broker of the site's devices. */
  broker: string;
  http?: { host?: string; port?: number };
  /** The site's name (its list versions are kept under it). */
  site: string;
  /** The site's list-signing key, 32-byte hex; generated and kept in the database when absent. */
  siteKey?: string;
  partners: OcpiPartner[];
  /** Devices of the site and their record-signing public keys (65-byte hex). */
  devices?: { id: string; publicKey: string }[];
  chunkBytes?: number;
  settleMs?: number;
  durability?: 'full' | 'normal';
  /** MQTT client id of the peer (default roam-backend-{site}). */
  clientId?: string;
  /** The CPO's identity and the site's location, for CDRs (see CdrContext); CDRs are not served without it. */
  cpo?: CdrContext;
  /** Pull every partner with a tokensUrl this often (ms; OCPI advises hours, §4.1.3); absent: only on pull(). */
  pullEveryMs?: number;
  /** Push new CDRs to every partner with a cdrsUrl this often (ms); absent: only on pushCdrs(). */
  pushEveryMs?: number;
}

/** What is wrong with a config, or undefined. */
export function checkConfig(c: unknown): string | undefined {
  const o = c as Partial<BackendConfig>;
  if (typeof o !== 'object' || o === null) return 'the config is not a JSON object';
  if (typeof o.db !== 'string' || o.db === '') return 'db must be a file path';
  if (typeof o.broker !== 'string' || !/^(mqtts?|wss?):\/\/./.test(o.broker)) return 'broker must be an MQTT URL (mqtt://host:port)';
  if (typeof o.site !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(o.site)) return 'site must be a name of 1..64 letters, digits, _ . -';
  if (o.siteKey !== undefined && !/^[0-9a-fA-F]{64}$/.test(o.siteKey)) return 'siteKey must be 64 hex digits';
  if (!Array.isArray(o.partners) || o.partners.length === 0) return 'partners must list at least one partner';
  for (const p of o.partners)
    if (typeof p?.countryCode !== 'string' || typeof p.partyId !== 'string' || typeof p.credentialsToken !== 'string' || p.credentialsToken.length < 8)
      return 'each partner needs countryCode, partyId and a credentialsToken of at least 8 characters';
  for (const d of o.devices ?? []) if (typeof d?.id !== 'string' || !/^[0-9a-fA-F]{130}$/.test(d.publicKey ?? '')) return 'each device needs an id and a 65-byte hex publicKey';
  for (const k of ['pullEveryMs', 'pushEveryMs', 'settleMs', 'chunkBytes'] as const)
    if (o[k] !== undefined && (!Number.isInteger(o[k]) || o[k]! < 1)) return `${k} must be a positive integer`;
  return undefined;
}

export interface BackendService {
  db: BackendDb;
  tokens: PartnerTokens;
  list: SiteList;
  peer: BackendPeer;
  feed: ListFeed;
  http: FastifyInstance;
  /** Base URL of the OCPI interfaces. */
  url: string;
  siteKey: Uint8Array;
  /** Pulls every partner that has a tokensUrl (from its last date_to); the reports by partner. */
  pull(): Promise<Record<string, PullReport | { error: string }>>;
  /** Pushes the CDRs each partner with a cdrsUrl has not accepted yet. */
  pushCdrs(): Promise<Record<string, PushReport | { error: string }>>;
  close(): Promise<void>;
}

export async function startBackend(c: BackendConfig, o: { log?: (line: string) => void } = {}): Promise<BackendService> {
  const log = o.log ?? (() => {});
  const db = new BackendDb(c.db, { durability: c.durability });
  const secret = db.secret(`site:${c.site}`, () => (c.siteKey ? fromHex(c.siteKey) : new NodeSigner().exportPrivateKey()));
  if (c.siteKey && toHex(secret) !== c.siteKey.toUpperCase()) throw new Error(`the database keeps another signing key for site ${c.site}`);
  const signer = new NodeSigner(secret);
  const tokens = new PartnerTokens(db);
  const list = new SiteList(signer, nodeCrypto, Date.now, ocpiDiffBuilder(signer), 3, undefined, log);
  try {
    list.persistTo(db, c.site); // the versions and key rotations kept; refused when the rotations do not chain
  } catch (e) {
    db.close();
    throw e;
  }
  const transport = new MqttTransport(c.broker, { clientId: c.clientId ?? `roam-backend-${c.site}` });
  const peer = new BackendPeer({ transport, crypto: nodeCrypto, site: list, chunkBytes: c.chunkBytes ?? 4096, repo: db });
  for (const d of c.devices ?? []) peer.registerDevice(d.id, fromHex(d.publicKey));
  const feed = new ListFeed(tokens, [{ name: c.site, list, partners: c.partners, announce: () => peer.announceList() }], { settleMs: c.settleMs, log });
  feed.catchUp();
  const cdrs = c.cpo ? cdrSource(peer.records, c.cpo, (id) => peer.records.keyOf(id), tokens) : undefined;
  const http = ocpiServer({ partners: c.partners, tokens, cdrs });
  const url = await http.listen({ host: c.http?.host ?? '127.0.0.1', port: c.http?.port ?? 0 });
  const name = (p: OcpiPartner) => `${p.countryCode}/${p.partyId}`;
  const each = async <R>(has: (p: OcpiPartner) => boolean, run: (p: OcpiPartner) => Promise<R>) => {
    const out: Record<string, R | { error: string }> = {};
    for (const p of c.partners.filter(has)) {
      try {
        out[name(p)] = await run(p);
      } catch (e) {
        out[name(p)] = { error: (e as Error).message };
        log(`${name(p)}: ${(e as Error).message}`);
      }
    }
    return out;
  };
  const pull = () => each((p) => !!p.tokensUrl, (p) => pullTokens(p, tokens, db));
  const push = () => each((p) => !!p.cdrsUrl && !!cdrs, (p) => pushCdrs(p, cdrs!.cdrsFor(p), db));
  const timers = [c.pullEveryMs && setInterval(() => void pull(), c.pullEveryMs), c.pushEveryMs && setInterval(() => void push(), c.pushEveryMs)];
  return {
    db, tokens, list, peer, feed, http, url, siteKey: signer.publicKey, pull, pushCdrs: push,
    close: async () => {
      for (const t of timers) if (t) clearInterval(t);
      feed.stop();
      await http.close();
      transport.close();
      db.close();
    },
  };
}
