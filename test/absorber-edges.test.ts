import { testEnv, uniquePrefix } from './support/env';
import { AppProcess } from './support/processes';
import { freePort } from './support/redis-server';
import { Stack } from './faults/support/stack';

/** Item 8 of issue 11, on the absorber process as production starts it (from the build). */
describe('absorber edges: fails closed, metrics only on their own port', () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  it('refuses to start in production without API keys, in one line, and names the setting that opens it', async () => {
    const proc = AppProcess.absorber(testEnv({ NODE_ENV: 'production', INGEST_API_KEYS: '', QUEUE_PREFIX: uniquePrefix('closed'), PORT: String(await freePort()) }));
    const code = await Promise.race([proc.exited, new Promise((r) => setTimeout(() => r('still running'), 30_000))]);
    if (proc.running) await proc.stop('SIGKILL');
    expect(code).toBe(78);
    const lines = proc.output.trim().split('\n');
    expect(lines).toEqual([
      'spillway: invalid configuration:',
      '  INGEST_API_KEYS: not set, and NODE_ENV=production requires it; set keys, or INGEST_AUTH=off to accept events from anyone',
    ]);
  });

  it('starts open in production only when INGEST_AUTH=off says so', async () => {
    stack = await Stack.start({ NODE_ENV: 'production', INGEST_API_KEYS: '', INGEST_AUTH: 'off' });
    const absorber = await stack.addAbsorber();
    const res = await fetch(`${absorber.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"edge.open","data":{}}' });
    expect(res.status).toBe(202);
  });

  it('serves /metrics on METRICS_PORT and not on the public port', async () => {
    stack = await Stack.start({ INGEST_API_KEYS: 'edge-key-5a7c9e1b3d5f7a9c2e4b6d8f0a', METRICS_HOST: '127.0.0.1' });
    const absorber = await stack.addAbsorber();
    const accepted = await fetch(`${absorber.url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer edge-key-5a7c9e1b3d5f7a9c2e4b6d8f0a' },
      body: '{"type":"edge.metrics","data":{}}',
    });
    expect(accepted.status).toBe(202);
    // The public port answers 404 to anyone, with or without a key.
    expect((await fetch(`${absorber.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${absorber.url}/metrics`, { headers: { authorization: 'Bearer edge-key-5a7c9e1b3d5f7a9c2e4b6d8f0a' } })).status).toBe(404);
    const scrape = await fetch(`${absorber.metricsUrl}/metrics`);
    expect(scrape.status).toBe(200);
    expect(await scrape.text()).toMatch(/spillway_events_accepted_total\{lane="normal"\} 1/);
    expect((await fetch(`${absorber.metricsUrl}/v1/events`, { method: 'POST', body: '{}' })).status).toBe(404);
  });
});
