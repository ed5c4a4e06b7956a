// Pull (mod_tokens §12.1.2): the CPO GETs a partner's Tokens from the eMSP's
// sender interface, page by page, and takes them as it takes a push.
import { ocpiDateTime } from './envelope.js';
import { crawl } from './pagination.js';
import type { PartnerTokens, TokenApplied } from './partner-tokens.js';
import type { OcpiPartner } from './server.js';
import { checkPutToken } from './token-object.js';

/** Where the end of the last pull is kept (its date_to, the next pull's date_from). */
export interface PullCursors {
  cursor(name: string): string | undefined;
  setCursor(name: string, value: string): void;
}

export interface PullReport {
  pages: number;
  received: number;
  /** X-Total-Count of the first page. */
  total?: number;
  applied: Record<TokenApplied, number>;
  /** Objects that are not whole Tokens of this partner: logged and left out (§4.1.4.1, §4.1.6). */
  refused: { uid?: string; problem: string }[];
  dateFrom?: string;
  dateTo: string;
}

/**
 * Pulls `partner`'s tokens last updated since the previous pull (all of them
 * the first time): GET {tokensUrl}?date_from=…&date_to=now&limit=…, following
 * `Link: rel="next"`. transport_and_format §4.1.4.1: "The date_from is
 * inclusive and date_to exclusive, this way, when sequential requests with to
 * the same end-point are done, the next interval will have no overlap and the
 * date_from of the next interval is simply the date_to of the previous
 * interval." The cursor moves only after every page was taken: a pull that
 * fails is done again from the same date_from.
 */
export async function pullTokens(partner: OcpiPartner, tokens: PartnerTokens, cursors?: PullCursors, o: { limit?: number; now?: number; fetch?: typeof fetch } = {}): Promise<PullReport> {
  if (!partner.tokensUrl || !partner.outgoingToken) throw new Error(`${partner.countryCode}/${partner.partyId}: no tokensUrl and outgoingToken to pull from`);
  const name = `tokens:${partner.countryCode}/${partner.partyId}`;
  const dateFrom = cursors?.cursor(name);
  const dateTo = ocpiDateTime(o.now ?? Date.now());
  const url = new URL(partner.tokensUrl);
  if (dateFrom) url.searchParams.set('date_from', dateFrom);
  url.searchParams.set('date_to', dateTo);
  if (o.limit) url.searchParams.set('limit', String(o.limit));
  const got = await crawl<unknown>(url.toString(), partner.outgoingToken, o.fetch);
  const report: PullReport = { pages: got.pages, received: got.items.length, total: got.total, applied: { created: 0, updated: 0, unchanged: 0, stale: 0 }, refused: [], dateFrom, dateTo };
  for (const raw of got.items) {
    const t = raw as { uid?: unknown; type?: unknown };
    // §4.1.6: "When one or more objects, returned in the response, do not meet one of the CredentialsRoles
    // given during the credentials handshake, these objects may be ignored."
    const checked = checkPutToken(raw, { countryCode: partner.countryCode, partyId: partner.partyId, uid: String(t?.uid ?? ''), type: String(t?.type ?? 'RFID') });
    if ('problem' in checked) {
      report.refused.push({ uid: typeof t?.uid === 'string' ? t.uid : undefined, problem: checked.problem });
      continue;
    }
    report.applied[tokens.apply(checked.token)]++;
  }
  await tokens.committed();
  cursors?.setCursor(name, dateTo);
  return report;
}
