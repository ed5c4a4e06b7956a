// The OCPI 2.2.1 Tokens receiver interface over real HTTP (fastify on 127.0.0.1).
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { PartnerTokens, type TokenRepo } from '../../host-sim/backend/ocpi/partner-tokens.js';
import { authorizationFor } from '../../host-sim/backend/ocpi/pagination.js';
import { ocpiServer, TOKENS_PATH, type OcpiPartner } from '../../host-sim/backend/ocpi/server.js';
import type { OcpiToken } from '../../host-sim/backend/ocpi-tokens.js';

const SEM: OcpiPartner = { countryCode: 'US', partyId: 'SEM', credentialsToken: 'sem-secret-1' };
const BLK: OcpiPartner = { countryCode: 'US', partyId: 'BLK', credentialsToken: 'blk-secret-2' };

const token = (uid: string, extra: Partial<OcpiToken> = {}): OcpiToken => ({
  country_code: 'US', party_id: 'SEM', uid, type: 'RFID', contract_id: `US-SEM-${uid}`, issuer: 'SemaConnect',
  valid: true, whitelist: 'ALLOWED', last_updated: '2026-03-01T10:00:00Z', ...extra,
});

/** A repo that counts writes, to show a refused request writes nothing. */
class CountingRepo implements TokenRepo {
  writes: OcpiToken[] = [];
  allTokens() { return []; }
  putTokens(ts: OcpiToken[]) { this.writes.push(...ts); }
}

let app: FastifyInstance | undefined;
afterEach(async () => { await app?.close(); app = undefined; });

async function start() {
  const repo = new CountingRepo();
  const tokens = new PartnerTokens(repo);
  app = ocpiServer({ partners: [SEM, BLK], tokens });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const call = async (method: string, path: string, body?: unknown, auth: string | null = authorizationFor(SEM.credentialsToken), raw?: string) => {
    const headers: Record<string, string> = {};
    if (auth !== null) headers.Authorization = auth;
    if (body !== undefined || raw !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${base}${path}`, { method, headers, body: raw ?? (body === undefined ? undefined : JSON.stringify(body)) });
    return { http: res.status, body: (await res.json()) as { status_code: number; status_message?: string; data?: any; timestamp: string } };
  };
  return { tokens, repo, call };
}

describe('OCPI 2.2.1 Tokens receiver (CPO)', () => {
  it('PUT creates (201) then updates (200); GET returns the token as stored; every answer is the OCPI envelope', async () => {
    const { call, tokens } = await start();
    const put = await call('PUT', `${TOKENS_PATH}/US/SEM/04A2B3C4D5E6F7`, token('04A2B3C4D5E6F7'));
    // status_codes §5: "HTTP 201 - Created when the object has been newly created in the server system."
    expect(put.http).toBe(201);
    expect(put.body.status_code).toBe(1000);
    // transport_and_format §4.1.7: "timestamp DateTime 1 The time this message was generated."
    expect(put.body.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const again = await call('PUT', `${TOKENS_PATH}/US/SEM/04A2B3C4D5E6F7`, token('04A2B3C4D5E6F7', { whitelist: 'ALWAYS', last_updated: '2026-03-01T11:00:00Z' }));
    // "HTTP 200 - Ok when the object already existed and has successfully been updated."
    expect(again.http).toBe(200);
    expect(again.body.status_code).toBe(1000);
    const get = await call('GET', `${TOKENS_PATH}/US/SEM/04A2B3C4D5E6F7`);
    expect(get.http).toBe(200);
    expect(get.body.data).toEqual(token('04A2B3C4D5E6F7', { whitelist: 'ALWAYS', last_updated: '2026-03-01T11:00:00Z' }));
    expect(tokens.size).toBe(1);
  });

  it('PATCH merges the fields it carries and keeps the rest; it must carry last_updated', async () => {
    const { call, tokens, repo } = await start();
    await call('PUT', `${TOKENS_PATH}/US/SEM/04A2B3C4D5E6F7`, token('04A2B3C4D5E6F7', { group_id: 'FLEET-1', visual_number: 'DF-1' }));
    // mod_tokens §12.2.1.3: "only the fields/objects that have to be updated have to be present, other
    // fields/objects that are not specified are considered unchanged." (the spec's own example body)
    const p = await call('PATCH', `${TOKENS_PATH}/US/SEM/04A2B3C4D5E6F7`, { valid: false, last_updated: '2026-03-02T02:11:11Z' });
    expect(p.http).toBe(200);
    expect(p.body.status_code).toBe(1000);
    expect(tokens.get('US', 'SEM', '04A2B3C4D5E6F7', 'RFID')).toEqual(token('04A2B3C4D5E6F7', { group_id: 'FLEET-1', visual_number: 'DF-1', valid: false, last_updated: '2026-03-02T02:11:11Z' }));
    const writes = repo.writes.length;
    // "Any request to the PATCH method SHALL contain the last_updated field."; status_codes §5.2:
    // "2001 Invalid or missing parameters, for example: missing last_updated field in a PATCH request."
    const noDate = await call('PATCH', `${TOKENS_PATH}/US/SEM/04A2B3C4D5E6F7`, { valid: true });
    expect(noDate.body.status_code).toBe(2001);
    // A field set to null is removed, but a required one cannot be: the result must still be a Token.
    const nullRequired = await call('PATCH', `${TOKENS_PATH}/US/SEM/04A2B3C4D5E6F7`, { issuer: null, last_updated: '2026-03-03T00:00:00Z' });
    expect(nullRequired.body.status_code).toBe(2001);
    const removeGroup = await call('PATCH', `${TOKENS_PATH}/US/SEM/04A2B3C4D5E6F7`, { group_id: null, last_updated: '2026-03-03T00:00:00Z' });
    expect(removeGroup.body.status_code).toBe(1000);
    expect(tokens.get('US', 'SEM', '04A2B3C4D5E6F7', 'RFID')!.group_id).toBeUndefined();
    expect(repo.writes.length).toBe(writes + 1);
  });

  it('an update older than the stored token never overwrites it (PUT or PATCH)', async () => {
    const { call, tokens, repo } = await start();
    await call('PUT', `${TOKENS_PATH}/US/SEM/04A2B3C4D5E6F7`, token('04A2B3C4D5E6F7', { valid: false, last_updated: '2026-03-05T00:00:00Z' }));
    const writes = repo.writes.length;
    const oldPut = await call('PUT', `${TOKENS_PATH}/US/SEM/04A2B3C4D5E6F7`, token('04A2B3C4D5E6F7', { valid: true, last_updated: '2026-03-04T23:59:59Z' }));
    const oldPatch = await call('PATCH', `${TOKENS_PATH}/US/SEM/04A2B3C4D5E6F7`, { valid: true, last_updated: '2026-03-01T00:00:00Z' });
    for (const r of [oldPut, oldPatch]) {
      expect(r.http).toBe(200);
      expect(r.body.status_code).toBe(2000);
      expect(r.body.data.last_updated).toBe('2026-03-05T00:00:00Z'); // what is stored, to reconcile
    }
    expect(tokens.get('US', 'SEM', '04A2B3C4D5E6F7', 'RFID')!.valid).toBe(false);
    expect(repo.writes.length).toBe(writes);
  });

  it('a token is addressed by uid and type: ?type= defaults to RFID', async () => {
    const { call } = await start();
    await call('PUT', `${TOKENS_PATH}/US/SEM/APP1?type=APP_USER`, token('APP1', { type: 'APP_USER', whitelist: 'NEVER' }));
    // mod_tokens §12.2.1.1: "type TokenType no Token.type of the Token to retrieve. Default if omitted: RFID"
    expect((await call('GET', `${TOKENS_PATH}/US/SEM/APP1`)).body.status_code).toBe(2004);
    expect((await call('GET', `${TOKENS_PATH}/US/SEM/APP1?type=APP_USER`)).body.data.type).toBe('APP_USER');
    expect((await call('GET', `${TOKENS_PATH}/US/SEM/APP1?type=BADGE`)).body.status_code).toBe(2001);
  });

  it('refuses what is malformed, unknown or not this partner\'s with the spec\'s error, and changes nothing', async () => {
    const { call, tokens, repo } = await start();
    await call('PUT', `${TOKENS_PATH}/US/SEM/04A2B3C4D5E6F7`, token('04A2B3C4D5E6F7'));
    const before = JSON.stringify(tokens.list('US', 'SEM'));
    const writes = repo.writes.length;
    const path = `${TOKENS_PATH}/US/SEM/04A2B3C4D5E6F7`;
    const changed = token('04A2B3C4D5E6F7', { valid: false, last_updated: '2026-04-01T00:00:00Z' });

    // status_codes §5: "When a message does not contain a valid JSON string, the HTTP error 400 Bad request MUST be returned."
    const badJson = await call('PUT', path, undefined, authorizationFor(SEM.credentialsToken), '{"uid": "04A2B3C4D5E6F7",');
    expect(badJson.http).toBe(400);
    // transport_and_format §4.1.2: "If the header is missing or the credentials token doesn't match any
    // known party then the server SHALL respond with an HTTP 401 Unauthorized status code."
    const noHeader = await call('PUT', path, changed, null);
    expect([noHeader.http, noHeader.body.status_code]).toEqual([401, 2000]);
    expect((await call('PUT', path, changed, authorizationFor('not-a-partner'))).http).toBe(401);
    // The token not Base64-encoded: "followed by the 'encoded token'" (§4.1.2).
    expect((await call('PUT', path, changed, `Token ${SEM.credentialsToken}`)).http).toBe(401);
    // Another partner's credentials on SEM's objects: §4.1.5.1 "it is allowed to respond with an HTTP 404 status code".
    expect((await call('PUT', path, changed, authorizationFor(BLK.credentialsToken))).http).toBe(404);
    // PUT §12.2.1.2: country_code "SHALL be the same value as the country_code in the Token object being pushed";
    // §4.1.5.1: an {object-id} in the URL different from the object's: "return an OCPI status code: 2001".
    for (const bad of [
      { ...changed, country_code: 'NL' }, { ...changed, uid: '04FFFFFFFFFFFF' }, { ...changed, type: 'OTHER' },
      { ...changed, valid: 'no' }, { ...changed, whitelist: 'SOMETIMES' }, { ...changed, last_updated: 'yesterday' },
      { ...changed, last_updated: '2026-04-01T00:00:00+02:00' }, { ...changed, contract_id: 'X'.repeat(37) },
      (({ issuer: _, ...t }) => t)(changed), [changed], 'a string',
    ]) {
      const r = await call('PUT', path, bad);
      expect(r.http, JSON.stringify(bad)).toBe(200); // valid JSON addressing the endpoint: "a HTTP error MUST NOT be returned" (§5)
      expect(r.body.status_code, JSON.stringify(bad)).toBe(2001);
    }
    // PATCH of a token never pushed: 2004 Unknown Token, HTTP 404 (the resource does not exist).
    const unknownPatch = await call('PATCH', `${TOKENS_PATH}/US/SEM/04000000000001`, { valid: false, last_updated: '2026-04-01T00:00:00Z' });
    expect([unknownPatch.http, unknownPatch.body.status_code]).toEqual([404, 2004]);
    expect(JSON.stringify(tokens.list('US', 'SEM'))).toBe(before);
    expect(repo.writes.length).toBe(writes);
  });
});
