import { Injectable } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHash, randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import request from 'supertest';
import type { EntityManager } from 'typeorm';
import { getExpectedBodyHash, getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import type { HookEventData } from '../apps/absorber/src/hooks/hook-event';
import { EventHandler, HandlesEvents } from '../apps/worker/src/handlers/event-handler';
import { StoreEventHandler } from '../apps/worker/src/handlers/store-event.handler';
import { loadConfig } from '@spillway/config';
import { Metrics } from '@spillway/health';
import { QUEUE_DRIVER, QueueDriver, QueuedEvent } from '@spillway/queue';
import { startAbsorber, startWorker } from './support/apps';
import { appendEffects, EffectLog } from './support/effect-log';
import { testConfig, uniquePrefix, waitFor } from './support/env';
import { githubSignatures, MAC_AT_END, Sender, SENDERS, Signed, sourcesEnv, TWILIO_HOST } from './support/hook-senders';
import { Ledger } from './support/ledger';

const API_KEY = 'hooks-security-key-5b7d9f1a3c5e7a9b2d4f6a8c';
const TENANT = createHash('sha256').update(API_KEY).digest().subarray(0, 8).toString('hex');
const LIMITED_SECRET = 'limited-secret-1a3c5e7b9d2f4a6c8e0b2d4f';

/** Counts applications and keeps what each hook event looked like; `tenant.poison` throws while `poisoned`. */
@Injectable()
@HandlesEvents(...SENDERS.map((s) => `${s.source}.*`), 'limited.*', 'tenant.*')
class SecurityHandler implements EventHandler {
  static seen = new Map<string, QueuedEvent>();
  static poisoned = true;
  static order: string[] = [];
  async handle(events: QueuedEvent[], tx: EntityManager): Promise<void> {
    for (const e of events) {
      if (e.type === 'tenant.poison' && SecurityHandler.poisoned) throw new Error('poisoned on purpose');
    }
    for (const e of events) {
      SecurityHandler.seen.set(e.id, e);
      SecurityHandler.order.push(e.id);
    }
    await appendEffects(tx, events.map((e) => e.id));
  }
}

const bySource = (source: string) => SENDERS.find((s) => s.source === source)!;

describe('webhooks: identity from signed bytes, origins, scoped keys, refusals (bullmq, real worker)', () => {
  const env = {
    QUEUE_PREFIX: uniquePrefix('hooksec'),
    ...sourcesEnv(),
    WEBHOOK_SOURCES: `${sourcesEnv().WEBHOOK_SOURCES},limited:github`,
    WEBHOOK_SECRET_LIMITED: LIMITED_SECRET,
    WEBHOOK_RATE_LIMITS: 'limited=1',
    INGEST_API_KEYS: API_KEY,
    LANE_ROUTES: 'gh.push.*=low,shop.orders.paid=low',
    // The tenant's event fails on purpose, a dozen times: its retries would fill the output at warn.
    LOG_LEVEL: 'error',
    // Exponential backoff from 100 ms: the tenant's failing event keeps its fence for minutes, yet retries within seconds once healed.
    MAX_ATTEMPTS: '12',
    RETRY_BASE_MS: '100',
  };
  const config = testConfig(env);
  let absorber: NestFastifyApplication;
  let worker: NestFastifyApplication;
  const ledger = new Ledger();
  const effects = new EffectLog();
  const pool = new Pool({ connectionString: loadConfig().databaseUrl, max: 2 });
  let n = Date.now();

  const post = (path: string, body: string, headers: Record<string, string>) => {
    let req = request(absorber.getHttpServer()).post(path);
    for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
    return req.send(body);
  };
  const send = (sender: Sender, body: string, signed: Signed) => post(signed.path ?? `/v1/hooks/${sender.source}`, body, signed.headers);
  /** `spillway_webhook_requests_total` for a source and outcome, read from the absorber's registry. */
  const outcomes = async (source: string, outcome: string) => {
    const text = await absorber.get(Metrics).registry.metrics();
    return Number(new RegExp(`^spillway_webhook_requests_total\\{source="${source}",outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  };
  const drained = async () => {
    const driver = absorber.get<QueueDriver>(QUEUE_DRIVER);
    for (const lane of ['critical', 'normal', 'low'] as const) {
      const d = await driver.depth(lane);
      if (d.waiting + d.active + d.delayed > 0) return false;
    }
    return true;
  };

  beforeAll(async () => {
    await effects.setup();
    absorber = await startAbsorber(config);
    worker = await startWorker(config, [SecurityHandler, StoreEventHandler]);
  });
  afterAll(async () => {
    await worker.close();
    await absorber.close();
    await ledger.close();
    await effects.close();
    await pool.end();
  });

  describe('a replay of the same signed bytes, with other unsigned headers, is one event (applied once)', () => {
    /** Per provider without a signed id or timestamp: the headers a replayer can change freely. */
    const replays: Array<[string, (h: Record<string, string>) => Record<string, string>, string]> = [
      ['gh', (h) => ({ ...h, 'x-github-delivery': `forged-${++n}`, 'x-github-event': 'push' }), 'gh.push.opened'],
      ['shop', (h) => ({ ...h, 'x-shopify-webhook-id': `forged-${++n}`, 'x-shopify-topic': 'orders/paid' }), 'shop.orders.paid'],
      ['sms', (h) => ({ ...h, 'i-twilio-idempotency-token': `forged-${++n}` }), 'sms.message.delivered'],
      ['generic', (h) => ({ ...h, 'x-webhook-id': `forged-${++n}`, 'x-webhook-type': 'refund.issued' }), 'generic.invoice.paid'],
    ];

    it.each(replays)('%s', async (source, forge, replayType) => {
      const sender = bySource(source);
      const body = sender.body(++n);
      const signed = sender.sign(body, sender.secrets[0], { id: `original-${n}` });
      const first = await send(sender, body, signed).expect(202);
      const replay = await send(sender, body, { ...signed, headers: forge(signed.headers) }).expect(202);
      // The type of a provider that does not sign it may follow the header; the id may not.
      expect(replay.body.type).toBe(replayType);
      expect(replay.body.id).toBe(first.body.id);
      await waitFor('the event processed', () => ledger.allProcessed([first.body.id]));
      await waitFor('every lane drained', drained);
      expect(await effects.counts([first.body.id])).toEqual(new Map([[first.body.id, 1]]));
      // The sender's delivery id is kept as data (from whichever copy applied).
      const idHeader = { gh: 'x-github-delivery', shop: 'x-shopify-webhook-id', sms: 'i-twilio-idempotency-token' }[source];
      const headers = (SecurityHandler.seen.get(first.body.id)!.data as unknown as HookEventData).headers;
      if (idHeader) expect(headers[idHeader]).toMatch(/^(original|forged)-\d+$/);
    });

    it('twilio: the same fields in another order (the same signature) are the same event', async () => {
      const sms = bySource('sms');
      const body = sms.body(++n);
      const signed = sms.sign(body, sms.secrets[0], { id: `order-${n}` });
      const first = await send(sms, body, signed).expect(202);
      const reordered = new URLSearchParams([...new URLSearchParams(body)].reverse()).toString();
      expect(reordered).not.toBe(body);
      const again = await send(sms, reordered, signed).expect(202);
      expect(again.body.id).toBe(first.body.id);
    });

    it('generic: the type and id come from the signed body, not from X-Webhook-Type / X-Webhook-Id', async () => {
      const generic = bySource('generic');
      const body = generic.body(++n);
      const signed = generic.sign(body, generic.secrets[0], { id: 'x' });
      const res = await send(generic, body, { headers: { ...signed.headers, 'x-webhook-type': 'refund.issued', 'x-webhook-id': 'chosen' } }).expect(202);
      expect(res.body.type).toBe('generic.invoice.paid');
    });
  });

  describe('twilio: what the signature covers', () => {
    const sms = bySource('sms');
    const path = '/v1/hooks/sms?tenant=acme';
    const url = `https://${TWILIO_HOST}${path}`;
    const formHeaders = (signature: string) => ({ host: TWILIO_HOST, 'x-forwarded-proto': 'https', 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature });

    it('a URL signed for a JSON body (bodySHA256) does not verify another body sent as a form', async () => {
      const json = JSON.stringify({ MessageSid: `SMj${++n}`, MessageStatus: 'sent' });
      const hashed = `/v1/hooks/sms?bodySHA256=${getExpectedBodyHash(json)}`;
      const signature = getExpectedTwilioSignature(sms.secrets[0], `https://${TWILIO_HOST}${hashed}`, {});
      const empty = await post(hashed, '', formHeaders(signature)).expect(401);
      expect(empty.body.message).toBe("twilio signature check failed: bodySHA256: the URL's body hash does not match the body");
      await post(hashed, 'MessageSid=SMforged&MessageStatus=delivered', formHeaders(signature)).expect(401);
      // The genuine body, even labelled as a form, is the one the hash covers.
      await post(hashed, json, { ...formHeaders(signature), 'content-type': 'application/json' }).expect(202);
    });

    it('fields named __proto__, toString and constructor are signed like any other and reach the handler', async () => {
      const fields = [['MessageSid', `SMp${++n}`], ['MessageStatus', 'sent'], ['__proto__', 'p'], ['toString', 't'], ['constructor', 'c']];
      const body = fields.map(([k, v]) => `${k}=${v}`).join('&');
      const params = Object.fromEntries(new URLSearchParams(body));
      expect(Object.keys(params)).toContain('__proto__');
      const res = await post(path, body, formHeaders(getExpectedTwilioSignature(sms.secrets[0], url, params))).expect(202);
      await waitFor('processed', () => ledger.allProcessed([res.body.id]));
      const payload = (SecurityHandler.seen.get(res.body.id)!.data as unknown as HookEventData).payload;
      expect(Object.entries(payload).sort()).toEqual(Object.entries(params).sort());
    });

    it('a __proto__ or toString field added to a signed body is refused (it is signed, so it cannot slip past)', async () => {
      const body = sms.body(++n);
      const signature = getExpectedTwilioSignature(sms.secrets[0], url, Object.fromEntries(new URLSearchParams(body)));
      await post(path, body, formHeaders(signature)).expect(202);
      for (const extra of ['__proto__=evil', 'toString=evil', 'hasOwnProperty=evil']) {
        const res = await post(path, `${body}&${extra}`, formHeaders(signature)).expect(401);
        expect(res.body.message).toMatch(/^twilio signature check failed: X-Twilio-Signature: does not match/);
      }
    });
  });

  describe('origins: an API key cannot pass for a webhook source', () => {
    const auth = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };

    it("refuses a type in a source's namespace on /v1/events (403 naming the source)", async () => {
      for (const type of ['gh.push', 'gh', 'GH.pull_request.opened', 'limited.ping']) {
        const res = await post('/v1/events', JSON.stringify({ type, data: {} }), auth).expect(403);
        const owner = type.toLowerCase().split('.')[0];
        expect(res.body.message).toBe(`type: "${type}" is in the namespace of webhook source "${owner}" (${owner}.*), which only POST /v1/hooks/${owner} may send; use another type`);
      }
      await post('/v1/events', JSON.stringify({ type: 'ghost.push', data: {} }), auth).expect(202);
    });

    it('refuses it per event on /v1/events/batch, accepting the others', async () => {
      const res = await post('/v1/events/batch', JSON.stringify({ events: [{ type: 'pay.charge.succeeded', data: {} }, { type: 'order.created', data: {} }] }), auth).expect(202);
      expect(res.body.results[0]).toEqual({ status: 403, error: 'events[0].type: "pay.charge.succeeded" is in the namespace of webhook source "pay" (pay.*), which only POST /v1/hooks/pay may send; use another type' });
      expect(res.body.results[1]).toEqual({ id: expect.any(String), lane: 'normal' });
    });

    it('stamps each event with its origin, for handlers and in processed_events and events', async () => {
      const gh = bySource('gh');
      const body = gh.body(++n);
      const hook = await send(gh, body, gh.sign(body, gh.secrets[0], { id: `o-${n}` })).expect(202);
      const api = await post('/v1/events', JSON.stringify({ type: 'tenant.plain', data: {} }), auth).expect(202);
      const stored = await post('/v1/events', JSON.stringify({ type: 'order.created', data: {} }), auth).expect(202);
      await waitFor('processed', () => ledger.allProcessed([hook.body.id, api.body.id, stored.body.id]));
      expect(SecurityHandler.seen.get(hook.body.id)!.origin).toEqual({ kind: 'source', name: 'gh' });
      expect(SecurityHandler.seen.get(api.body.id)!.origin).toEqual({ kind: 'tenant', name: TENANT });
      const { rows } = await pool.query('SELECT id, origin FROM processed_events WHERE id = ANY($1::text[])', [[hook.body.id, api.body.id]]);
      expect(Object.fromEntries(rows.map((r) => [r.id, r.origin]))).toEqual({ [hook.body.id]: 'source:gh', [api.body.id]: `tenant:${TENANT}` });
      const { rows: events } = await pool.query('SELECT origin FROM events WHERE id = $1', [stored.body.id]);
      expect(events).toEqual([{ origin: `tenant:${TENANT}` }]);
    });
  });

  it("ordering keys are scoped by origin: a tenant's failing event on a repository's key fences only that tenant's key, not the source's", async () => {
    const auth = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
    // A key of this run: a fence left by a run stopped midway (or a mutant) must not hold this one back.
    const key = `acme/api-${randomUUID().slice(0, 8)}`;
    SecurityHandler.poisoned = true;
    const poison = await post('/v1/events', JSON.stringify({ type: 'tenant.poison', key, data: {} }), auth).expect(202);
    await waitFor('the poison event fencing its key', async () => {
      const { rows } = await pool.query('SELECT 1 FROM key_fences WHERE event_id = $1', [poison.body.id]);
      return rows.length === 1;
    });
    // The same key from the same tenant waits behind the failure ...
    const after = await post('/v1/events', JSON.stringify({ type: 'tenant.after', key, data: {} }), auth).expect(202);
    // ... while the GitHub source's event on that repository (the same visible key) applies.
    const gh = bySource('gh');
    const body = JSON.stringify({ action: 'opened', number: ++n, repository: { full_name: key } });
    const hook = await send(gh, body, gh.sign(body, gh.secrets[0], { id: `k-${n}` })).expect(202);
    await waitFor("the source's event applied despite the tenant's fence", () => ledger.allProcessed([hook.body.id]), 15_000);
    expect(SecurityHandler.seen.get(hook.body.id)!.key).toBe(key);
    expect(await ledger.counts([after.body.id])).toEqual(new Map());
    SecurityHandler.poisoned = false;
    await waitFor('the tenant key applied once healed', () => ledger.allProcessed([poison.body.id, after.body.id]), 30_000);
    expect(SecurityHandler.order.indexOf(poison.body.id)).toBeLessThan(SecurityHandler.order.indexOf(after.body.id));
    expect(SecurityHandler.seen.get(after.body.id)!.key).toBe(key);
  });

  describe('refusals docs/webhooks.md promises', () => {
    describe.each(SENDERS.map((s) => [s.provider, s] as const))('%s', (_provider, sender) => {
      const signedOnce = () => {
        const body = sender.body(++n);
        return { body, signed: sender.sign(body, sender.secrets[0], { id: `refused-${n}` }) };
      };
      const refused = async (body: string, signed: Signed) => {
        const before = await outcomes(sender.source, 'unauthorized');
        const res = await send(sender, body, signed).expect(401);
        expect(res.body.error).toBe('Unauthorized');
        expect(res.body.message).toMatch(new RegExp(`^${sender.provider} signature check failed: `));
        // Counted as a refused signature (a run of them is a secret not yet rotated in, or a probe).
        expect(await outcomes(sender.source, 'unauthorized')).toBe(before + 1);
        return res.body.message as string;
      };

      it('no signature header: 401 naming it', async () => {
        const { body, signed } = signedOnce();
        const headers = { ...signed.headers };
        delete headers[sender.signatureHeader];
        expect(await refused(body, { ...signed, headers })).toMatch(/missing|required/);
      });

      it('an empty signature: 401', async () => {
        const { body, signed } = signedOnce();
        const value = signed.headers[sender.signatureHeader];
        expect(value).toMatch(MAC_AT_END);
        await refused(body, { ...signed, headers: { ...signed.headers, [sender.signatureHeader]: value.replace(MAC_AT_END, '') } });
      });

      it('a truncated signature (the first half of the right MAC): 401', async () => {
        const { body, signed } = signedOnce();
        const value = signed.headers[sender.signatureHeader];
        const truncated = value.replace(MAC_AT_END, (mac) => mac.slice(0, Math.floor(mac.replace(/=+$/, '').length / 4) * 2));
        expect(truncated.length).toBeLessThan(value.length);
        await refused(body, { ...signed, headers: { ...signed.headers, [sender.signatureHeader]: truncated } });
      });
    });

    it('a verified body the provider cannot read: 400 naming what is wrong', async () => {
      const gh = bySource('gh');
      const cases: Array<[string, string]> = [
        ['not json at all', 'body is not valid JSON'],
        ['[1,2,3]', 'body must be a JSON object'],
        [`{"repository":{"full_name":"acme/api"},"deep":${'['.repeat(40)}${']'.repeat(40)}}`, 'body: nested deeper than'],
        ['{"action":"opened","text":"nul \\u0000 inside"}', 'body'],
      ];
      const signatures = githubSignatures(cases.map(([body]) => ({ secret: gh.secrets[0], body })));
      for (const [i, [body, message]] of cases.entries()) {
        const res = await post('/v1/hooks/gh', body, { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': signatures[i] }).expect(400);
        expect(res.body.message).toContain(message);
      }
    });

    it('a source over its rate: 429 with Retry-After naming WEBHOOK_RATE_LIMITS', async () => {
      const body = JSON.stringify({ action: 'opened', repository: { full_name: 'acme/limited' } });
      const [signature] = githubSignatures([{ secret: LIMITED_SECRET, body }]);
      const headers = { 'content-type': 'application/json', 'x-github-event': 'issues', 'x-hub-signature-256': signature };
      const before = await outcomes('limited', 'rate_limited');
      const answers = await Promise.all(Array.from({ length: 6 }, () => post('/v1/hooks/limited', body, headers)));
      const statuses = answers.map((a) => a.status);
      expect(statuses).toContain(202);
      const limited = answers.find((a) => a.status === 429);
      expect(limited).toBeDefined();
      expect(limited!.headers['retry-after']).toMatch(/^\d+$/);
      expect(limited!.body.message).toMatch(/^source "limited" is over its rate of 1 events\/s \(WEBHOOK_RATE_LIMITS\); retry in \d+ s$/);
      expect(limited!.body.error).toBe('Too Many Requests');
      expect(await outcomes('limited', 'rate_limited')).toBe(before + statuses.filter((st) => st === 429).length);
    });
  });
});
