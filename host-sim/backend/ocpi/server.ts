// The backend peer's OCPI 2.2.1 HTTP side (CPO role): the Tokens receiver
// interface (mod_tokens §12.2.1) and the CDRs sender interface (mod_cdrs
// §10.2.1), on fastify, each request authenticated per partner.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { OcpiToken } from '../ocpi-tokens.js';
import { envelope, OCPI_STATUS } from './envelope.js';
import { sendPage } from './pagination.js';
import type { PartnerTokens } from './partner-tokens.js';
import { checkPutToken, mergePatch, TOKEN_TYPES, type TokenAddress } from './token-object.js';

/** One roaming partner (an eMSP) as the CPO knows it. */
export interface OcpiPartner {
  countryCode: string;
  partyId: string;
  /** The credentials token this partner sends in `Authorization: Token …` (§4.1.2). */
  credentialsToken: string;
  /** For whitelist ALLOWED: decide from the device's table (true) or ask in real time. */
  allowedUsesTable?: boolean;
  /** The partner's Tokens sender endpoint (eMSP), for pulls. */
  tokensUrl?: string;
  /** The partner's CDRs receiver endpoint (eMSP), for pushes. */
  cdrsUrl?: string;
  /** The credentials token roam sends to the partner's endpoints. */
  outgoingToken?: string;
}

/** What the CDRs sender interface serves: each partner's CDRs, oldest first. */
export interface CdrSource {
  cdrsFor(partner: OcpiPartner): { cdr: Record<string, unknown>; lastUpdated: number }[];
}

export interface OcpiServerOptions {
  partners: readonly OcpiPartner[];
  tokens: PartnerTokens;
  cdrs?: CdrSource;
  /** Most objects per page of a paginated GET (X-Limit). */
  maxPage?: number;
}

export const TOKENS_PATH = '/ocpi/cpo/2.2.1/tokens';
export const CDRS_PATH = '/ocpi/cpo/2.2.1/cdrs';

declare module 'fastify' {
  interface FastifyRequest {
    partner?: OcpiPartner;
  }
}

/**
 * The partner a credentials token names. §4.1.2: "After the literal 'Token',
 * there SHALL be one space, followed by the 'encoded token'" (Base64 of its
 * UTF-8); "If the header is missing or the credentials token doesn't match any
 * known party then the server SHALL respond with an HTTP 401 Unauthorized status code."
 */
function partnerOf(header: string | undefined, partners: readonly OcpiPartner[]): OcpiPartner | undefined {
  const m = /^Token ([A-Za-z0-9+/]+={0,2})$/.exec(header ?? '');
  if (!m) return undefined;
  const token = Buffer.from(m[1], 'base64').toString('utf8');
  return partners.find((p) => p.credentialsToken === token);
}

export function ocpiServer(o: OcpiServerOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 256 * 1024 });
  const maxPage = o.maxPage ?? 1000;

  app.addHook('onRequest', async (req, reply) => {
    const partner = partnerOf(req.headers.authorization, o.partners);
    if (!partner) return reply.code(401).send(envelope(OCPI_STATUS.CLIENT_ERROR, undefined, 'missing or unknown credentials token'));
    req.partner = partner;
  });

  // §5: "When a message does not contain a valid JSON string, the HTTP error 400 Bad request MUST be returned."
  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const code = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    reply.code(code).send(envelope(code === 500 ? OCPI_STATUS.SERVER_ERROR : OCPI_STATUS.INVALID_PARAMETERS, undefined, code === 500 ? 'internal error' : err.message));
  });
  app.setNotFoundHandler((_req, reply) => reply.code(404).send(envelope(OCPI_STATUS.CLIENT_ERROR, undefined, 'no such endpoint')));

  /**
   * The token's address from the URL, or an answer already sent. §4.1.5.1:
   * "When a client tries to access an object with a URL that has a different
   * country_code and/or party_id than one of the CredentialsRoles given during
   * the credentials handshake, it is allowed to respond with an HTTP 404 status
   * code"; `type`: "Default if omitted: RFID".
   */
  const address = (req: FastifyRequest, reply: FastifyReply): TokenAddress | undefined => {
    const p = req.params as { country_code: string; party_id: string; token_uid: string };
    const type = (req.query as { type?: string }).type ?? 'RFID';
    const partner = req.partner!;
    if (p.country_code.toUpperCase() !== partner.countryCode.toUpperCase() || p.party_id.toUpperCase() !== partner.partyId.toUpperCase()) {
      reply.code(404).send(envelope(OCPI_STATUS.CLIENT_ERROR, undefined, `${p.country_code}/${p.party_id} is not this partner's role`));
      return undefined;
    }
    if (!(TOKEN_TYPES as readonly string[]).includes(type) || p.token_uid.length > 36) {
      reply.code(200).send(envelope(OCPI_STATUS.INVALID_PARAMETERS, undefined, !(TOKEN_TYPES as readonly string[]).includes(type) ? `type ${type} is not a TokenType` : 'token_uid longer than CiString(36)'));
      return undefined;
    }
    return { countryCode: p.country_code, partyId: p.party_id, uid: p.token_uid, type };
  };
  const stored = (at: TokenAddress) => o.tokens.get(at.countryCode, at.partyId, at.uid, at.type);
  const unknown = (reply: FastifyReply, at: TokenAddress) =>
    reply.code(404).send(envelope(OCPI_STATUS.UNKNOWN_TOKEN, undefined, `unknown token ${at.uid} (${at.type})`));

  // §12.2.1.1 GET: "Retrieve a Token as it is stored in the CPO system."
  app.get(`${TOKENS_PATH}/:country_code/:party_id/:token_uid`, async (req, reply) => {
    const at = address(req, reply);
    if (!at) return reply;
    const t = stored(at);
    return t ? reply.code(200).send(envelope(OCPI_STATUS.SUCCESS, t)) : unknown(reply, at);
  });

  const store = async (reply: FastifyReply, t: OcpiToken) => {
    const before = o.tokens.get(t.country_code, t.party_id, t.uid, t.type);
    const r = o.tokens.apply(t);
    await o.tokens.committed(); // answered once on disk
    if (r === 'stale')
      return reply.code(200).send(envelope(OCPI_STATUS.CLIENT_ERROR, before, `last_updated ${t.last_updated} is older than the stored token's ${before!.last_updated}: not applied`));
    // §5: "HTTP 200 - Ok when the object already existed and has successfully been updated. HTTP 201 - Created when the object has been newly created"
    return reply.code(r === 'created' ? 201 : 200).send(envelope(OCPI_STATUS.SUCCESS));
  };

  // §12.2.1.2 PUT: "Push new/updated Token object to the CPO."
  app.put(`${TOKENS_PATH}/:country_code/:party_id/:token_uid`, async (req, reply) => {
    const at = address(req, reply);
    if (!at) return reply;
    const checked = checkPutToken(req.body, at);
    if ('problem' in checked) return reply.code(200).send(envelope(OCPI_STATUS.INVALID_PARAMETERS, undefined, checked.problem));
    return store(reply, checked.token);
  });

  // §12.2.1.3 PATCH: "Notify the CPO of partial updates to a Token."
  app.patch(`${TOKENS_PATH}/:country_code/:party_id/:token_uid`, async (req, reply) => {
    const at = address(req, reply);
    if (!at) return reply;
    const t = stored(at);
    if (!t) return unknown(reply, at);
    const merged = mergePatch(t, req.body, at);
    if ('problem' in merged) return reply.code(200).send(envelope(OCPI_STATUS.INVALID_PARAMETERS, undefined, merged.problem));
    return store(reply, merged.token);
  });

  // mod_cdrs §10.2.1.1 GET (sender): this partner's CDRs, paginated.
  app.get(CDRS_PATH, async (req, reply) => {
    const list = o.cdrs?.cdrsFor(req.partner!) ?? [];
    return sendPage(req, reply, list, (c) => c.lastUpdated, maxPage, (c) => c.cdr);
  });

  return app;
}
