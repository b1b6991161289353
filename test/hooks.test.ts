import { Injectable } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import type { EntityManager } from 'typeorm';
import { EventHandler, HandlesEvents } from '../apps/worker/src/handlers/event-handler';
import type { HookEventData } from '../apps/absorber/src/hooks/hook-event';
import { QUEUE_DRIVER, QueueDriver, QueuedEvent } from '@spillway/queue';
import { startAbsorber, startWorker } from './support/apps';
import { appendEffects, EffectLog } from './support/effect-log';
import { testConfig, uniquePrefix, waitFor } from './support/env';
import { githubSignatures, Sender, SENDERS, Signed, sourcesEnv, TWILIO_HOST } from './support/hook-senders';
import { ensureSqsQueues } from './support/drivers';
import { Metrics } from '@spillway/health';
import { getExpectedBodyHash, getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { createHmac } from 'node:crypto';
import { Ledger } from './support/ledger';

/** Records what a handler is handed (the worker runs in this process) and counts each application. */
@Injectable()
@HandlesEvents(...SENDERS.map((s) => `${s.source}.*`))
class HookHandler implements EventHandler {
  static seen = new Map<string, QueuedEvent>();
  async handle(events: QueuedEvent[], tx: EntityManager): Promise<void> {
    for (const e of events) HookHandler.seen.set(e.id, e);
    await appendEffects(tx, events.map((e) => e.id));
  }
}

describe('POST /v1/hooks/<source>: every provider, signed by the provider\'s own scheme, to a real worker (bullmq)', () => {
  const config = testConfig({ QUEUE_PREFIX: uniquePrefix('hooks'), ...sourcesEnv(), LANE_ROUTES: 'pay.*=critical' });
  let absorber: NestFastifyApplication;
  let worker: NestFastifyApplication;
  const ledger = new Ledger();
  const effects = new EffectLog();
  let n = Date.now();

  // A string, sent as is: superagent would serialise a Buffer as JSON under a JSON content type.
  const send = (sender: Sender, body: string, signed: Signed) => {
    let req = request(absorber.getHttpServer()).post(signed.path ?? `/v1/hooks/${sender.source}`);
    for (const [name, value] of Object.entries(signed.headers)) req = req.set(name, value);
    return req.send(body);
  };

  beforeAll(async () => {
    await effects.setup();
    absorber = await startAbsorber(config);
    worker = await startWorker(config, [HookHandler]);
  });
  afterAll(async () => {
    await worker.close();
    await absorber.close();
    await ledger.close();
    await effects.close();
  });

  describe.each(SENDERS.map((s) => [s.provider, s] as const))('%s', (_provider, sender) => {
    it('accepts a good request (202), derives type and id, and a real worker applies it once, redelivered or not', async () => {
      const body = sender.body(++n);
      const id = `delivery-${n}`;
      const first = await send(sender, body, sender.sign(body, sender.secrets[0], { id })).expect(202);
      expect(first.body.type).toBe(sender.type);
      expect(first.body.lane).toBe(sender.provider === 'stripe' ? 'critical' : 'normal');
      // The sender's retry: same delivery, signed again (later timestamp); the same id, applied once.
      const again = await send(sender, body, sender.sign(body, sender.secrets[0], { id })).expect(202);
      expect(again.body.id).toBe(first.body.id);
      await waitFor('the event processed', () => ledger.allProcessed([first.body.id]));
      const [row] = await ledger.rows([first.body.id]);
      expect(row.type).toBe(sender.type);
      await waitFor('the redelivery consumed', async () => {
        const depth = await absorber.get<QueueDriver>(QUEUE_DRIVER).depth(first.body.lane);
        return depth.waiting + depth.active + depth.delayed === 0;
      });
      expect(await effects.counts([first.body.id])).toEqual(new Map([[first.body.id, 1]]));
      const handed = HookHandler.seen.get(first.body.id)!;
      const data = handed.data as unknown as HookEventData;
      expect(data).toMatchObject({ source: sender.source, provider: sender.provider, raw: body, rawEncoding: 'utf8' });
      expect(data.payload).toEqual(sender.provider === 'twilio' ? Object.fromEntries(new URLSearchParams(body)) : JSON.parse(body));
    });

    it('refuses a body with one byte changed (401 naming the check)', async () => {
      const body = sender.body(++n);
      const signed = sender.sign(body, sender.secrets[0], { id: `tampered-${n}` });
      // One ASCII character near the end, so exactly one byte differs.
      const at = body.length - 2;
      const tampered = body.slice(0, at) + String.fromCharCode(body.charCodeAt(at) ^ 0x01) + body.slice(at + 1);
      const res = await send(sender, tampered, signed).expect(401);
      expect(res.body.message).toMatch(new RegExp(`^${sender.provider} signature check failed: .*(does not match|no v1)`));
    });

    it('refuses a request signed with a wrong secret, without echoing any secret', async () => {
      const body = sender.body(++n);
      const wrong = sender.provider === 'standard' ? 'whsec_d3Jvbmctc2VjcmV0LXdyb25n' : 'not-the-secret';
      const res = await send(sender, body, sender.sign(body, wrong, { id: `wrong-${n}` })).expect(401);
      for (const secret of [...sender.secrets, wrong]) expect(JSON.stringify(res.body)).not.toContain(secret);
    });

    it('accepts the secret being rotated in', async () => {
      const body = sender.body(++n);
      const res = await send(sender, body, sender.sign(body, sender.secrets[1], { id: `rotated-${n}` })).expect(202);
      expect(res.body.type).toBe(sender.type);
    });

    if (sender.timestamped) {
      it('refuses a correctly signed request whose timestamp is stale (a replay)', async () => {
        const body = sender.body(++n);
        const t = Math.floor(Date.now() / 1000) - 3600;
        const res = await send(sender, body, sender.sign(body, sender.secrets[0], { id: `stale-${n}`, t })).expect(401);
        expect(res.body.message).toMatch(/timestamp is \d+ s away from the server's clock; the tolerance is 300 s/);
      });
    }
  });

  describe('handshakes', () => {
    const bySource = (provider: string) => SENDERS.find((s) => s.provider === provider)!;

    it('github: answers the ping a new hook sends, queues nothing', async () => {
      const gh = bySource('github');
      const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
      const signed = gh.sign(body, gh.secrets[0], { id: 'ping-1' });
      const res = await send(gh, body, { headers: { ...signed.headers, 'x-github-event': 'ping' } }).expect(200);
      expect(res.body).toEqual({ ok: true, zen: 'Keep it logically awesome.' });
    });

    it('meta: echoes hub.challenge for the right verify token, 403 for a wrong one', async () => {
      const ok = await request(absorber.getHttpServer()).get('/v1/hooks/wa?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444').expect(200);
      expect(ok.text).toBe('1158201444');
      const bad = await request(absorber.getHttpServer()).get('/v1/hooks/wa?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1').expect(403);
      expect(bad.body.message).toMatch(/hub.verify_token/);
    });

    it('slack: answers url_verification with its challenge (signed like any request)', async () => {
      const slack = bySource('slack');
      const body = JSON.stringify({ token: 'x', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' });
      const res = await send(slack, body, slack.sign(body, slack.secrets[0], { id: 'x' })).expect(200);
      expect(res.body).toEqual({ challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' });
    });
  });

  describe('other body shapes', () => {
    const bySource = (provider: string) => SENDERS.find((s) => s.provider === provider)!;

    it('twilio: a JSON body covered by bodySHA256 in the URL; a changed body is refused', async () => {
      const sms = bySource('twilio');
      const body = JSON.stringify({ MessageSid: `SMjson${++n}`, MessageStatus: 'sent' });
      const path = `/v1/hooks/sms?bodySHA256=${getExpectedBodyHash(body)}`;
      const headers = {
        host: TWILIO_HOST,
        'x-forwarded-proto': 'https',
        'content-type': 'application/json',
        'x-twilio-signature': getExpectedTwilioSignature(sms.secrets[0], `https://${TWILIO_HOST}${path}`, {}),
      };
      const res = await send(sms, body, { path, headers }).expect(202);
      expect(res.body.type).toBe('sms.message.sent');
      const changed = await send(sms, body.replace('sent', 'sens'), { path, headers }).expect(401);
      expect(changed.body.message).toMatch(/bodySHA256/);
    });

    it('slack: a slash command (form body) becomes command.<name> with its trigger id', async () => {
      const slack = bySource('slack');
      const body = new URLSearchParams({ command: '/deploy', text: 'api prod', team_id: 'T1', trigger_id: `trig-${++n}` }).toString();
      const signed = slack.sign(body, slack.secrets[0], { id: 'x' });
      const res = await send(slack, body, { headers: { ...signed.headers, 'content-type': 'application/x-www-form-urlencoded' } }).expect(202);
      expect(res.body.type).toBe('slack.command.deploy');
      await waitFor('processed', () => ledger.allProcessed([res.body.id]));
      expect((HookHandler.seen.get(res.body.id)!.data as unknown as HookEventData).payload).toMatchObject({ command: '/deploy', text: 'api prod' });
    });
  });

  // Its own requests, counted before and after: it read counters earlier cases had moved, so it
  // failed alone and a mutation run (which runs only the cases reaching a mutant) refused to start.
  it('counts requests per source and outcome', async () => {
    const counted = async (source: string, outcome: string) => {
      const text = await absorber.get(Metrics).registry.metrics();
      return Number(new RegExp(`^spillway_webhook_requests_total\\{source="${source}",outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
    };
    const outcomes = [['gh', 'accepted'], ['pay', 'unauthorized'], ['wa', 'handshake']] as const;
    const before = await Promise.all(outcomes.map(([source, outcome]) => counted(source, outcome)));
    const gh = SENDERS.find((s) => s.source === 'gh')!;
    const pay = SENDERS.find((s) => s.source === 'pay')!;
    const ghBody = gh.body(++n);
    await send(gh, ghBody, gh.sign(ghBody, gh.secrets[0], { id: `counted-${n}` })).expect(202);
    const payBody = pay.body(++n);
    await send(pay, payBody, pay.sign(payBody, 'not-the-secret', { id: `counted-${n}` })).expect(401);
    await request(absorber.getHttpServer()).get('/v1/hooks/wa?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=7').expect(200);
    const after = await Promise.all(outcomes.map(([source, outcome]) => counted(source, outcome)));
    expect(after).toEqual(before.map((c) => c + 1));
  });

  it('names an unknown source (404) and a source without a GET handshake (405)', async () => {
    const res = await request(absorber.getHttpServer()).post('/v1/hooks/nope').set('content-type', 'application/json').send('{}').expect(404);
    expect(res.body.message).toBe('no webhook source "nope" (declare it in WEBHOOK_SOURCES)');
    await request(absorber.getHttpServer()).get('/v1/hooks/gh').expect(405);
  });

  it('refuses a body over BODY_LIMIT_BYTES before reading it (413, the same answer as /v1/events)', async () => {
    const res = await request(absorber.getHttpServer()).post('/v1/hooks/gh').set('content-type', 'application/json').send(`"${'x'.repeat(300 * 1024)}"`).expect(413);
    expect(res.body.message).toBe(`body is over the limit of ${config.bodyLimitBytes} bytes`);
  });

  it('leaves /v1/events parsing JSON as before', async () => {
    const res = await request(absorber.getHttpServer()).post('/v1/events').send({ type: 'order.created', data: { a: 1 } }).expect(202);
    expect(res.body.lane).toBe('normal');
  });
});

describe('POST /v1/hooks/<source> on SQS: a delivery too big for one message goes through the claim check', () => {
  const secret = 'gh-big-secret-2c4e6a8b0d3f5a7c9e1b';
  const env = { QUEUE_DRIVER: 'sqs', QUEUE_PREFIX: uniquePrefix('hooksqs'), BODY_LIMIT_BYTES: String(2 * 1024 * 1024), WEBHOOK_SOURCES: 'gh:github', WEBHOOK_SECRET_GH: secret };
  const config = testConfig(env);
  let absorber: NestFastifyApplication;
  let worker: NestFastifyApplication;
  const ledger = new Ledger();

  beforeAll(async () => {
    await ensureSqsQueues(env);
    absorber = await startAbsorber(config);
    worker = await startWorker(config, [HookHandler]);
  });
  afterAll(async () => {
    await worker.close();
    await absorber.close();
    await ledger.close();
  });

  it('holds and applies a 600 kB GitHub push (raw + parsed: over the 1 MiB SQS limit) with its raw bytes intact', async () => {
    // A body of this run: GitHub's event id is the body's digest, and the ledger remembers earlier runs.
    const body = JSON.stringify({ ref: 'refs/heads/main', after: `${Date.now()}`, repository: { full_name: 'acme/big' }, commits: [{ message: 'x'.repeat(600 * 1024) }] });
    const [signature] = githubSignatures([{ secret, body }]);
    const res = await request(absorber.getHttpServer())
      .post('/v1/hooks/gh')
      .set({ 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': `big-${Date.now()}`, 'x-hub-signature-256': signature })
      .send(body)
      .expect(202);
    expect(res.body.type).toBe('gh.push');
    await waitFor('the big event processed', () => ledger.allProcessed([res.body.id]), 40_000);
    const data = HookHandler.seen.get(res.body.id)!.data as unknown as HookEventData;
    expect(data.raw).toBe(body);
    // The origin travels through the claim check too.
    expect(HookHandler.seen.get(res.body.id)!.origin).toEqual({ kind: 'source', name: 'gh' });
    expect(createHmac('sha256', secret).update(data.raw).digest('hex')).toBe(signature.slice('sha256='.length));
  });
});
