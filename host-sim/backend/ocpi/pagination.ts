// OCPI 2.2.1 pagination (transport_and_format §4.1.4.1), both sides: a sender
// answering a paginated GET, and a client crawling one by its Link headers.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { envelope, OCPI_STATUS, parseOcpiDateTime } from './envelope.js';

export interface PageQuery {
  dateFrom?: number;
  dateTo?: number;
  offset: number;
  limit: number;
}

/**
 * The query of a paginated GET; a problem's text when a parameter is not what
 * OCPI says. "date_from … (inclusive)", "date_to … (exclusive)", "offset … Default
 * is 0", "limit … The server might decide to return fewer objects".
 */
export function pageQuery(q: Record<string, unknown>, maxLimit: number): PageQuery | string {
  const int = (v: unknown) => (typeof v === 'string' && /^\d{1,9}$/.test(v) ? Number(v) : undefined);
  const out: PageQuery = { offset: 0, limit: maxLimit };
  if (q.date_from !== undefined && (out.dateFrom = parseOcpiDateTime(q.date_from)) === undefined) return 'date_from is not an OCPI DateTime';
  if (q.date_to !== undefined && (out.dateTo = parseOcpiDateTime(q.date_to)) === undefined) return 'date_to is not an OCPI DateTime';
  if (q.offset !== undefined && (out.offset = int(q.offset)!) === undefined) return 'offset is not a non-negative integer';
  if (q.limit !== undefined) {
    const l = int(q.limit);
    if (l === undefined) return 'limit is not a non-negative integer';
    out.limit = Math.min(l, maxLimit);
  }
  return out;
}

/**
 * Answers a paginated GET from `items` (oldest first, each with its
 * last_updated in ms): the page, `X-Total-Count` (matching the dates, not
 * offset and limit), `X-Limit` (the server's upper limit, "not the number of
 * objects returned") and a `Link` to the next page with the request's filters
 * ("Link to the 'next' page should be provided when this is NOT the last page.
 * The Link should also contain any filters present in the original request").
 */
export function sendPage<T>(req: FastifyRequest, reply: FastifyReply, items: readonly T[], updatedAt: (t: T) => number, maxLimit: number, json: (t: T) => unknown = (t) => t): FastifyReply {
  const q = pageQuery(req.query as Record<string, unknown>, maxLimit);
  if (typeof q === 'string') return reply.code(200).send(envelope(OCPI_STATUS.INVALID_PARAMETERS, undefined, q));
  const matching = items.filter((t) => (q.dateFrom === undefined || updatedAt(t) >= q.dateFrom) && (q.dateTo === undefined || updatedAt(t) < q.dateTo));
  const page = matching.slice(q.offset, q.offset + q.limit);
  reply.header('X-Total-Count', String(matching.length)).header('X-Limit', String(maxLimit));
  if (q.offset + page.length < matching.length) {
    const url = new URL(req.url, `${req.protocol}://${req.headers.host ?? 'localhost'}`);
    url.searchParams.set('offset', String(q.offset + page.length));
    url.searchParams.set('limit', String(q.limit));
    reply.header('Link', `<${url.toString()}>; rel="next"`);
  }
  return reply.code(200).send(envelope(OCPI_STATUS.SUCCESS, page.map(json)));
}

/** The 'next' URL of a Link header, if any. */
export function nextLink(link: string | null): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m) return m[1];
  }
  return undefined;
}

/** `Authorization` header value for a credentials token (§4.1.2: "Token", one space, Base64 of its UTF-8). */
export function authorizationFor(credentialsToken: string): string {
  return `Token ${Buffer.from(credentialsToken, 'utf8').toString('base64')}`;
}

export interface CrawlResult<T> {
  items: T[];
  pages: number;
  /** X-Total-Count of the first page. */
  total?: number;
}

/**
 * GETs a paginated OCPI list from `url`, following each `Link: rel="next"` to
 * the end. An answer whose status_code is not 1000, or that is not a list,
 * stops the crawl with an error (nothing of that page is used).
 */
export async function crawl<T>(url: string, credentialsToken: string, fetchImpl: typeof fetch = fetch): Promise<CrawlResult<T>> {
  const out: CrawlResult<T> = { items: [], pages: 0 };
  let next: string | undefined = url;
  while (next) {
    const res = await fetchImpl(next, { headers: { Authorization: authorizationFor(credentialsToken), Accept: 'application/json' } });
    const body = (await res.json().catch(() => undefined)) as { status_code?: number; data?: unknown; status_message?: string } | undefined;
    if (!res.ok || body?.status_code !== OCPI_STATUS.SUCCESS || !Array.isArray(body.data))
      throw new Error(`GET ${next}: HTTP ${res.status}, OCPI ${body?.status_code ?? '-'}${body?.status_message ? ` (${body.status_message})` : ''}`);
    if (out.pages === 0) {
      const total = Number(res.headers.get('X-Total-Count'));
      if (Number.isFinite(total)) out.total = total;
    }
    out.pages++;
    out.items.push(...(body.data as T[]));
    next = nextLink(res.headers.get('Link'));
    if (next && body.data.length === 0) throw new Error(`GET ${next}: an empty page that is not the last`);
  }
  return out;
}
