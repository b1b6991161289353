import { createHash } from 'node:crypto';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import fc from 'fast-check';
import { sign } from '../../apps/absorber/src/ingest/signature';
import { startAbsorber } from '../support/apps';
import { testConfig, uniquePrefix } from '../support/env';

const KEY = 'corpus-key-6b8d0f2a4c7e9b1d3f5a7c9e';
/** A second key, configured only as its sha256 digest (INGEST_API_KEYS=sha256:<hex>). */
const HASHED_KEY = 'corpus-hashed-key';
const HASHED_KEY_DIGEST = createHash('sha256').update(HASHED_KEY).digest('hex');
const SECRET = 'corpus-hmac-secret-1f3a5c7e9b2d4f6a8c';

interface Req {
  method?: 'POST' | 'GET' | 'PUT';
  url?: string;
  headers?: Record<string, string>;
  body?: string;
  auth?: boolean;
  signed?: boolean;
}

describe('bad input: each refused with its exact status and a message naming the problem', () => {
  let app: NestFastifyApplication;

  const send = async (r: Req) => {
    const body = r.body ?? '';
    const headers: Record<string, string> = { 'content-type': 'application/json', ...r.headers };
    if (r.auth !== false && !('authorization' in headers)) headers.authorization = `Bearer ${KEY}`;
    if (r.signed !== false && !('x-signature-256' in headers)) headers['x-signature-256'] = sign(SECRET, body);
    for (const [k, v] of Object.entries(headers)) if (v === '') delete headers[k];
    return app.inject({ method: r.method ?? 'POST', url: r.url ?? '/v1/events', headers, payload: body });
  };
  const json = (v: unknown) => JSON.stringify(v);
  const ok = { type: 'order.created', data: {} };

  beforeAll(async () => {
    app = await startAbsorber(
      testConfig({ QUEUE_PREFIX: uniquePrefix('corpus'), INGEST_API_KEYS: `${KEY},sha256:${HASHED_KEY_DIGEST}`, INGEST_HMAC_SECRETS: SECRET, BODY_LIMIT_BYTES: '65536' }),
    );
  });
  afterAll(() => app.close());

  const corpus: Array<[string, Req, number, RegExp]> = [
    ['broken JSON', { body: '{"type":' }, 400, /not valid JSON/],
    ['trailing garbage', { body: '{"type":"a","data":{}} x' }, 400, /not valid JSON/],
    ['empty body', { body: '' }, 400, /body is empty/],
    ['JSON null', { body: 'null' }, 400, /body must be a JSON object/],
    ['JSON array', { body: '[1,2]' }, 400, /body must be a JSON object/],
    ['JSON string', { body: '"hello"' }, 400, /body must be a JSON object/],
    ['JSON number', { body: '42' }, 400, /body must be a JSON object/],
    ['type missing', { body: json({ data: {} }) }, 400, /^type: required/],
    ['type a number', { body: json({ type: 1, data: {} }) }, 400, /^type: required, must be a string/],
    ['type empty', { body: json({ type: '', data: {} }) }, 400, /^type: 1-200 characters/],
    ['type huge', { body: json({ type: 'a'.repeat(10_000), data: {} }) }, 400, /^type: 1-200 characters/],
    ['type with spaces', { body: json({ type: 'drop table', data: {} }) }, 400, /^type: 1-200 characters/],
    ['data missing', { body: json({ type: 'a' }) }, 400, /^data: required/],
    ['data null', { body: json({ type: 'a', data: null }) }, 400, /^data: required, must be a JSON object/],
    ['data an array', { body: json({ type: 'a', data: [] }) }, 400, /^data: required, must be a JSON object/],
    ['data deeply nested', { body: '{"type":"a","data":' + '{"a":'.repeat(40) + '1' + '}'.repeat(41) }, 400, /^data: nested deeper than 32/],
    ['priority unknown', { body: json({ ...ok, priority: 'urgent' }) }, 400, /^priority: must be one of critical, normal, low/],
    ['priority wrong type', { body: json({ ...ok, priority: 1 }) }, 400, /^priority: must be one of/],
    ['key empty', { body: json({ ...ok, key: '' }) }, 400, /^key: must be a string of 1-256/],
    ['key huge', { body: json({ ...ok, key: 'k'.repeat(300) }) }, 400, /^key: must be a string of 1-256/],
    ['unknown field', { body: json({ ...ok, admin: true }) }, 400, /^admin: unknown field/],
    // Fastify's JSON parser refuses a __proto__ key (prototype poisoning) before the validator runs,
    // and its error keeps no cause, so this is the one answer; it does not name the key (yet).
    ['__proto__ field', { body: '{"type":"a","data":{},"__proto__":{"x":1}}' }, 400, /^body is not valid JSON \(Body is not valid JSON but content-type is set to 'application\/json'\)$/],
    ['__proto__ inside data', { body: '{"type":"a","data":{"__proto__":{"x":1}}}' }, 400, /^body is not valid JSON \(Body is not valid JSON/],
    ['oversized body', { body: json({ ...ok, data: { s: 'x'.repeat(70_000) } }) }, 413, /over the limit of 65536 bytes/],
    ['text/plain', { headers: { 'content-type': 'text/plain' }, body: 'hi' }, 415, /Content-Type must be application\/json/],
    ['form encoded', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' }, 415, /Content-Type must be application\/json/],
    ['xml', { headers: { 'content-type': 'application/xml' }, body: '<a/>' }, 415, /Content-Type must be application\/json/],
    ['no content type', { headers: { 'content-type': '' }, body: json(ok) }, 415, /Content-Type must be application\/json/],
    ['missing auth', { auth: false, body: json(ok) }, 401, /missing Authorization header/],
    ['wrong key', { headers: { authorization: 'Bearer wrong' }, body: json(ok) }, 401, /API key not accepted/],
    ['basic auth', { headers: { authorization: `Basic ${KEY}` }, body: json(ok) }, 401, /must be "Bearer <api key>"/],
    ['missing signature', { signed: false, body: json(ok) }, 401, /missing X-Signature-256/],
    ['malformed signature', { headers: { 'x-signature-256': 'sha1=abc' }, body: json(ok) }, 401, /must be t=<unix seconds>,v1=/],
    ['untimed sha256= signature', { headers: { 'x-signature-256': `sha256=${'a'.repeat(64)}` }, body: json(ok) }, 401, /untimed sha256=<hex> form is no longer accepted/],
    ['replayed signature (10 minutes old)', { headers: { 'x-signature-256': sign(SECRET, json(ok), Math.floor(Date.now() / 1000) - 600) }, body: json(ok) }, 401, /timestamp is 60\d s away from the server's clock; the tolerance is 300 s/],
    ['signature of another body', { headers: { 'x-signature-256': sign(SECRET, '{}') }, body: json(ok) }, 401, /does not match the body/],
    ['signature with another secret', { headers: { 'x-signature-256': sign('nope', json(ok)) }, body: json(ok) }, 401, /does not match the body/],
    ['Idempotency-Key with spaces', { headers: { 'idempotency-key': 'a b' }, body: json(ok) }, 400, /^Idempotency-Key: must be 1-255/],
    ['Idempotency-Key too long', { headers: { 'idempotency-key': 'k'.repeat(256) }, body: json(ok) }, 400, /^Idempotency-Key: must be 1-255/],
    // The batch route makes the same checks as the single one (the ingest-controller mutation run:
    // the batch's Content-Type and signature checks dropped passed every case).
    ['batch missing signature', { url: '/v1/events/batch', signed: false, body: json({ events: [ok] }) }, 401, /missing X-Signature-256/],
    ['batch text/plain', { url: '/v1/events/batch', headers: { 'content-type': 'text/plain' }, body: json({ events: [ok] }) }, 415, /Content-Type must be application\/json/],
    ['batch no content type', { url: '/v1/events/batch', headers: { 'content-type': '' }, body: json({ events: [ok] }) }, 415, /Content-Type must be application\/json/],
    ['batch over 500', { url: '/v1/events/batch', body: json({ events: Array.from({ length: 501 }, () => ok) }) }, 400, /holds 501 events; the limit is 500/],
    ['batch empty', { url: '/v1/events/batch', body: json({ events: [] }) }, 400, /at least one event/],
    ['batch not an array', { url: '/v1/events/batch', body: json({ events: 'x' }) }, 400, /^events: required, must be an array/],
    ['batch with extra field', { url: '/v1/events/batch', body: json({ events: [ok], more: 1 }) }, 400, /^more: unknown field/],
    ['unknown route', { url: '/v1/nope', body: json(ok) }, 404, /Cannot POST \/v1\/nope/],
    ['wrong method', { method: 'PUT', body: json(ok) }, 404, /Cannot PUT \/v1\/events/],
  ];

  it(`has at least 30 cases (${corpus.length})`, () => expect(corpus.length).toBeGreaterThanOrEqual(30));

  it.each(corpus)('%s', async (_name, req, status, message) => {
    const res = await send(req);
    expect(res.statusCode).toBe(status);
    expect(res.json().message).toMatch(message);
  });

  it('accepts the same request when it is well-formed and signed (the corpus is not refusing everything)', async () => {
    const res = await send({ body: json(ok) });
    expect(res.statusCode).toBe(202);
  });

  it.each(['bearer', 'BEARER'])('takes the auth scheme in any case (%s <key>), as RFC 7235 says', async (scheme) => {
    const res = await send({ headers: { authorization: `${scheme} ${KEY}` }, body: json(ok) });
    expect(res.statusCode).toBe(202);
  });

  it('authenticates a key configured as its sha256: digest, and refuses the digest itself as a key', async () => {
    expect((await send({ headers: { authorization: `Bearer ${HASHED_KEY}` }, body: json(ok) })).statusCode).toBe(202);
    const digestAsKey = await send({ headers: { authorization: `Bearer ${HASHED_KEY_DIGEST}` }, body: json(ok) });
    expect(digestAsKey.statusCode).toBe(401);
    expect(digestAsKey.json().message).toMatch(/API key not accepted/);
  });

  it('survives 10,000 random requests with no 5xx and a message on every 4xx', async () => {
    const field = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.boolean(), fc.object({ maxDepth: 3 }), fc.array(fc.anything(), { maxLength: 3 }));
    const event = fc.record(
      { type: fc.oneof(fc.constantFrom('order.created', 'a:b'), fc.string()), data: field, priority: fc.oneof(fc.constantFrom('critical', 'normal', 'low'), fc.string()), key: field, extra: field },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      event.map((e) => JSON.stringify(e)),
      fc.record({ events: fc.array(event, { maxLength: 5 }) }).map((b) => JSON.stringify(b)),
      fc.json(),
      fc.string(),
    );
    const request = fc.record({
      url: fc.constantFrom('/v1/events', '/v1/events/batch', '/v1/events/', '/v1/x'),
      body,
      contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/cloudevents+json', ''),
      idempotencyKey: fc.option(fc.string({ maxLength: 300 }), { nil: undefined }),
      auth: fc.constantFrom(`Bearer ${KEY}`, 'Bearer x', '', 'Token'),
    });
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers: Record<string, string> = { 'x-signature-256': sign(SECRET, r.body) };
        if (r.contentType) headers['content-type'] = r.contentType;
        if (r.auth) headers.authorization = r.auth;
        if (r.idempotencyKey !== undefined) headers['idempotency-key'] = r.idempotencyKey;
        let res;
        try {
          res = await app.inject({ method: 'POST', url: r.url, headers, payload: r.body });
        } catch (err) {
          // light-my-request refuses header values Node itself would never send
          if (/Invalid character in header/.test(String(err))) return;
          throw err;
        }
        seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1);
        expect(res.statusCode).toBeLessThan(500);
        if (res.statusCode >= 400) expect(typeof res.json().message).toBe('string');
      }),
      { numRuns: 10_000 },
    );
    // The generator reached both sides of the gate.
    expect(seen.get(202)).toBeGreaterThan(0);
    expect([...seen.keys()].filter((s) => s >= 400).length).toBeGreaterThanOrEqual(4);
  });
});
