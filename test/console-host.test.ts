import { mkdtempSync, writeFileSync } from 'node:fs';
import { request, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConsoleServer } from '../apps/console/src/console-server';
import { QueueDriver } from '@spillway/queue';
import { freshDriver } from './support/drivers';
import { makeDeadLetter } from './support/ops-fixtures';

/**
 * CONSOLE_AUTH=off (no token): a DNS-rebinding page (evil.example re-pointed at 127.0.0.1) reaches
 * the console from the operator's browser, but its requests carry `Host: evil.example`. Those are
 * refused before any broker call; loopback names and CONSOLE_ALLOWED_HOSTS are served.
 */
describe('console without a token checks Host (real BullMQ)', () => {
  let driver: QueueDriver;
  let server: Server;
  let port: number;

  const call = (method: string, path: string, host: string, body?: string) =>
    new Promise<{ status: number; json: { message?: string; removed?: number } }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, headers: { host, 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text.startsWith('{') ? JSON.parse(text) : {} }));
      });
      req.on('error', reject);
      req.end(body);
    });

  beforeAll(async () => {
    driver = await freshDriver('bullmq', { MAX_ATTEMPTS: '1' });
    const trafficFile = join(mkdtempSync(join(tmpdir(), 'spillway-console-host-')), 'traffic.json');
    writeFileSync(trafficFile, JSON.stringify({ hetzner: 100, eks: 0 }));
    server = createConsoleServer({ sides: [{ name: 'hetzner', driver, metrics: [] }], token: undefined, allowedHosts: ['ops.example.net'], trafficFile });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    await makeDeadLetter(driver, 'low', 'rebinding-target', 'handler bug');
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await driver.close();
  });

  it('refuses discard, redrive, the report and the page under a foreign Host, naming why; the dead letter stays', async () => {
    const body = JSON.stringify({ confirm: 'hetzner/low' });
    for (const [method, path] of [['POST', '/api/sides/hetzner/lanes/low/discard'], ['POST', '/api/sides/hetzner/lanes/low/redrive'], ['GET', '/api/report'], ['GET', '/']]) {
      const r = await call(method, path, `evil.example:${port}`, method === 'POST' ? body : undefined);
      expect([path, r.status]).toEqual([path, 403]);
    }
    const r = await call('POST', '/api/sides/hetzner/lanes/low/discard', 'evil.example', body);
    expect(r.json.message).toMatch(/^Host "evil.example" refused: with CONSOLE_AUTH=off only loopback names and ops.example.net are served/);
    expect((await driver.deadLetters('low', 10)).length).toBe(1);
  });

  it('serves loopback names and the configured one', async () => {
    expect((await call('GET', '/api/report', `localhost:${port}`)).status).toBe(200);
    expect((await call('GET', '/api/report', `[::1]:${port}`)).status).toBe(200);
    const r = await call('POST', '/api/sides/hetzner/lanes/low/discard', 'ops.example.net', JSON.stringify({ confirm: 'hetzner/low' }));
    expect(r).toMatchObject({ status: 200, json: { removed: 1 } });
  });
});
