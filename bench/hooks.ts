// `npm run bench:hooks`: one absorber (production settings, BullMQ on local Redis), the same
// ~300-byte order event sent for D seconds to `/v1/events` and, as a signed GitHub delivery (a
// fresh body, delivery id and HMAC per request), to `/v1/hooks/github`; prints both rates and their ratio.
// One run each, back to back, on whatever else the machine is doing: a ratio, not a capacity figure.
import { createHmac } from 'node:crypto';
import { Request } from 'autocannon';
import { API_KEY, eventBody, runLoad } from './load';
import { freePort, killChildren, startNode } from './processes';
import { absorberEnv } from './servers';

const SECRET = 'bench-github-secret-0c2e4a6b8d1f3a5c';
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379/15';

function hookRequest(body: string): Request {
  let n = 0;
  return {
    method: 'POST',
    path: '/v1/hooks/github',
    // A body of its own per request, signed as GitHub does (the signing cost is the load
    // generator's, not the absorber's): the event id is the body's digest, so a repeated body
    // would be one event sent again and again.
    setupRequest: (req) => {
      const delivery = `bench-${process.pid}-${++n}`;
      const own = body.replace(/^\{/, `{"delivery":"${delivery}",`);
      return {
        ...req,
        body: own,
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          'x-github-delivery': delivery,
          'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(own).digest('hex')}`,
        },
      };
    },
  };
}

async function main(): Promise<void> {
  const port = await freePort();
  const env = { ...absorberEnv('bullmq', redisUrl, port), QUEUE_PREFIX: `bench-hooks-${process.pid}`, WEBHOOK_SOURCES: 'github:github', WEBHOOK_SECRET_GITHUB: SECRET };
  const absorber = startNode('absorber', 'dist/apps/absorber/src/main.js', env);
  await absorber.waitForPort(port);
  const url = `http://127.0.0.1:${port}`;
  const body = eventBody('order.created');
  const single: Request = { method: 'POST', path: '/v1/events', headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` }, body };
  // JIT warm-up of both routes before either window.
  await runLoad({ url, connections, requests: [single], duration: 2 });
  await runLoad({ url, connections, requests: [hookRequest(body)], duration: 2 });
  const events = await runLoad({ url, connections, requests: [single], duration: seconds });
  const hooks = await runLoad({ url, connections, requests: [hookRequest(body)], duration: seconds });
  killChildren();
  const line = (name: string, f: typeof events) => `${name.padEnd(18)} ${f.rps.toFixed(0).padStart(7)} req/s  p50 ${f.p50} ms  p99 ${f.p99} ms  non-2xx/errors ${f.errors}`;
  console.log(line('/v1/events', events));
  console.log(line('/v1/hooks/github', hooks));
  console.log(`ratio hooks/events: ${(hooks.rps / events.rps).toFixed(2)} (${connections} connections, ${seconds} s each, bullmq)`);
}

main().catch((err) => {
  killChildren();
  console.error(err);
  process.exit(1);
});
