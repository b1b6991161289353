import { connect, Socket } from 'node:net';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createAbsorber } from '../apps/absorber/src/bootstrap';
import { dropKeys } from './support/redis-server';
import { testConfig, uniquePrefix, waitFor } from './support/env';

/**
 * Half-sent requests (slowloris) against the absorber's real listener on loopback: they are cut
 * within seconds (HTTP_HEADERS_TIMEOUT_MS / HTTP_REQUEST_TIMEOUT_MS), while whole requests sent
 * meanwhile get their answers; connections over HTTP_MAX_CONNECTIONS are closed at once.
 */
const HEADERS_MS = 2000;
const REQUEST_MS = 3000;

async function listen(env: Record<string, string>): Promise<{ app: NestFastifyApplication; port: number; prefix: string }> {
  const prefix = uniquePrefix('slow-clients');
  const app = await createAbsorber(testConfig({ QUEUE_PREFIX: prefix, ...env }));
  await app.listen(0, '127.0.0.1');
  return { app, port: (app.getHttpServer().address() as { port: number }).port, prefix };
}

interface Slow {
  socket: Socket;
  closedAt?: number;
  received: string;
}

/** Opens a connection and sends only part of a request, then nothing more. */
function halfSend(port: number, part: string): Promise<Slow> {
  return new Promise((resolve, reject) => {
    const slow: Slow = { socket: connect(port, '127.0.0.1'), received: '' };
    slow.socket.on('data', (d) => (slow.received += d));
    slow.socket.on('close', () => (slow.closedAt = Date.now()));
    slow.socket.once('error', () => undefined);
    slow.socket.once('connect', () => {
      slow.socket.write(part);
      resolve(slow);
    });
    slow.socket.once('error', reject);
  });
}

const HALF_HEADERS = 'POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n';
const HALF_BODY = 'POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"type":"slow","da';

async function openMany(port: number, count: number, part: string): Promise<Slow[]> {
  const out: Slow[] = [];
  // In waves of 200: the listen backlog is finite, and this is about held sockets, not a SYN flood.
  for (let i = 0; i < count; i += 200) out.push(...(await Promise.all(Array.from({ length: Math.min(200, count - i) }, () => halfSend(port, part)))));
  return out;
}

async function postEvent(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'slow.neighbour', data: {} }),
  });
  await res.arrayBuffer();
  return res.status;
}

describe('slow clients', () => {
  it('cuts thousands of half-sent requests within seconds while whole requests get their answers', async () => {
    const { app, port, prefix } = await listen({
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_MS),
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_MS),
      HTTP_MAX_CONNECTIONS: '5000',
    });
    let slow: Slow[] = [];
    try {
      const started = Date.now();
      slow = [...(await openMany(port, 2000, HALF_HEADERS)), ...(await openMany(port, 500, HALF_BODY))];
      const opened = Date.now();
      // While all of them are held open, whole requests are answered.
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push(...(await Promise.all(Array.from({ length: 5 }, () => postEvent(port)))));
      expect(statuses.filter((s) => s !== 202)).toEqual([]);

      await waitFor('every half-sent request to be cut', async () => slow.every((s) => s.closedAt !== undefined), 30_000, 200);
      const slowest = Math.max(...slow.map((s) => s.closedAt! - opened));
      // Cut after the timeout (not at once) and within a few seconds of it, not Node's 300 s.
      expect(Math.min(...slow.map((s) => s.closedAt! - started))).toBeGreaterThanOrEqual(HEADERS_MS - 100);
      expect(slowest).toBeLessThan(REQUEST_MS * 2 + 2000);
      // Node answers a timed-out request with 408 before closing.
      expect(slow.filter((s) => s.received && !s.received.startsWith('HTTP/1.1 408'))).toEqual([]);
      console.log(`slow clients: ${slow.length} half-sent requests, all cut within ${slowest} ms of opening; ${statuses.length} whole requests answered 202`);
    } finally {
      // A failed run leaves them open, and close() would wait for them.
      for (const s of slow) s.socket.destroy();
      await app.close();
      await dropKeys(testConfig().redisUrl, prefix);
    }
  }, 90_000);

  it('closes connections over HTTP_MAX_CONNECTIONS at once, and answers again once they are gone', async () => {
    const { app, port, prefix } = await listen({ HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_MS), HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_MS), HTTP_MAX_CONNECTIONS: '50' });
    const held: Slow[] = [];
    try {
      held.push(...(await openMany(port, 50, HALF_HEADERS)));
      const over = await halfSend(port, HALF_HEADERS);
      held.push(over);
      await waitFor('the connection over the cap to be closed', async () => over.closedAt !== undefined, 1000, 20);
      expect(over.received).toBe('');
      expect(held.slice(0, 50).filter((s) => s.closedAt !== undefined)).toEqual([]);
      await waitFor('the held connections to be cut', async () => held.every((s) => s.closedAt !== undefined), 15_000, 100);
      expect(await postEvent(port)).toBe(202);
    } finally {
      for (const s of held) s.socket.destroy();
      await app.close();
      await dropKeys(testConfig().redisUrl, prefix);
    }
  }, 60_000);
});
