// A simulated eMSP (a roaming partner's side), for tests and demos: the Tokens
// sender interface (mod_tokens §12.2.2, paginated) and the CDRs receiver
// interface (mod_cdrs §10.2.2). Not part of roam's backend.
import Fastify, { type FastifyInstance } from 'fastify';
import type { OcpiToken } from '../ocpi-tokens.js';
import { envelope, OCPI_STATUS, parseOcpiDateTime } from './envelope.js';
import { authorizationFor, sendPage } from './pagination.js';

export interface EmspSim {
  app: FastifyInstance;
  url: string;
  tokensUrl: string;
  cdrsUrl: string;
  /** The partner's tokens, in the order it serves them (oldest first). */
  tokens: OcpiToken[];
  /** CDRs received, by id. */
  cdrs: Map<string, Record<string, unknown>>;
  /** GET requests served, with their query. */
  gets: string[];
  close(): Promise<void>;
}

export async function startEmspSim(o: { credentialsToken: string; tokens: OcpiToken[]; maxPage?: number }): Promise<EmspSim> {
  const app = Fastify({ logger: false });
  const sim = { tokens: o.tokens, cdrs: new Map<string, Record<string, unknown>>(), gets: [] as string[] };
  app.addHook('onRequest', async (req, reply) => {
    if (req.headers.authorization !== authorizationFor(o.credentialsToken)) return reply.code(401).send(envelope(OCPI_STATUS.CLIENT_ERROR, undefined, 'unknown credentials token'));
  });
  app.get('/ocpi/emsp/2.2.1/tokens', async (req, reply) => {
    sim.gets.push(req.url);
    const sorted = [...sim.tokens].sort((a, b) => parseOcpiDateTime(a.last_updated)! - parseOcpiDateTime(b.last_updated)!);
    return sendPage(req, reply, sorted, (t) => parseOcpiDateTime(t.last_updated)!, o.maxPage ?? 100);
  });
  app.post('/ocpi/emsp/2.2.1/cdrs', async (req, reply) => {
    const cdr = req.body as Record<string, unknown>;
    if (typeof cdr?.id !== 'string') return reply.code(200).send(envelope(OCPI_STATUS.INVALID_PARAMETERS, undefined, 'a CDR needs an id'));
    // mod_cdrs §10.1: "it cannot be changed or replaced once sent to the eMSP."
    if (sim.cdrs.has(cdr.id) && JSON.stringify(sim.cdrs.get(cdr.id)) !== JSON.stringify(cdr)) return reply.code(200).send(envelope(OCPI_STATUS.CLIENT_ERROR, undefined, `CDR ${cdr.id} exists with other content`));
    sim.cdrs.set(cdr.id, cdr);
    return reply.code(201).header('Location', `${url}/ocpi/emsp/2.2.1/cdrs/${encodeURIComponent(cdr.id)}`).send(envelope(OCPI_STATUS.SUCCESS));
  });
  app.get('/ocpi/emsp/2.2.1/cdrs/:id', async (req, reply) => {
    const cdr = sim.cdrs.get((req.params as { id: string }).id);
    return cdr ? reply.send(envelope(OCPI_STATUS.SUCCESS, cdr)) : reply.code(404).send(envelope(OCPI_STATUS.CLIENT_ERROR, undefined, 'unknown CDR'));
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url, tokensUrl: `${url}/ocpi/emsp/2.2.1/tokens`, cdrsUrl: `${url}/ocpi/emsp/2.2.1/cdrs`, ...sim, close: () => app.close() };
}
