// An EKS target on BullMQ, against a real Redis: the list each KEDA trigger names is the list the
// real BullMQ driver puts a lane's waiting jobs in, with the prefix the rendered ConfigMap gives the
// pods; and the apps reach a Redis that requires TLS and AUTH by a rediss:// REDIS_URL alone, as the
// pods reach ElastiCache (its certificate chains to a public CA: here a test CA, added to Node's store).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import IORedis from 'ioredis';
import { LANES } from '@spillway/config/lanes';
import { BullmqDriver } from '@spillway/queue/drivers';
import { manifestObjects } from '../deploy/eks/chart';
import { targetDefinition } from '../deploy/model/targets';
import { withBullmq } from '../deploy/test-targets';
import { testConfig, uniquePrefix, waitFor } from './support/env';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The BullMQ target's rendered objects, with a queue prefix of this run's own. */
function rendered(prefix: string): Doc[] {
  const def = withBullmq();
  def.targets.bullmq = { ...def.targets.bullmq, queuePrefix: prefix } as typeof def.targets.bullmq;
  return manifestObjects(targetDefinition(def, 'bullmq', 'eks')) as Doc[];
}

describe('KEDA on BullMQ: the lists it measures', () => {
  it('each trigger names the list where the real driver puts that lane\'s waiting job', async () => {
    const docs = rendered(uniquePrefix('keys'));
    const env = docs.find((d) => d.kind === 'ConfigMap' && d.data?.WORKER_LANES)!.data as Record<string, string>;
    const triggers = docs.find((d) => d.kind === 'ScaledObject')!.spec.triggers as Doc[];
    const driver = new BullmqDriver(testConfig({ QUEUE_DRIVER: env.QUEUE_DRIVER, QUEUE_PREFIX: env.QUEUE_PREFIX }));
    const redis = new IORedis(testConfig().redisUrl);
    try {
      expect(await driver.waitUntilConnected(5000)).toBe(true);
      for (const lane of LANES) {
        const list = triggers.find((t) => t.name === lane)!.metadata.listName as string;
        expect(await redis.llen(list)).toBe(0);
        await driver.enqueue(lane, [{ id: `evt-${lane}`, type: 'keys.check', lane, data: {}, receivedAt: new Date().toISOString() }]);
        // The list holds job ids; the job's hash (beside it, under the same queue) holds the event.
        const ids = await redis.lrange(list, 0, -1);
        expect(ids).toHaveLength(1);
        const job = await redis.hget(`${list.replace(/:wait$/, '')}:${ids[0]}`, 'data');
        expect(JSON.parse(job!).events.map((e: Doc) => e.id)).toEqual([`evt-${lane}`]);
      }
    } finally {
      const keys = await redis.keys(`${env.QUEUE_PREFIX}:*`);
      if (keys.length) await redis.del(...keys);
      await driver.close();
      redis.disconnect();
    }
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

describe('REDIS_URL=rediss://:<token>@<host>:6379: TLS and AUTH from the URL alone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'spillway-tls-'));
  const token = randomBytes(24).toString('hex');
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  let port: number;
  let server: ReturnType<typeof spawn>;

  beforeAll(async () => {
    // A CA of this run's own and a certificate for localhost signed by it (ElastiCache's names its endpoint).
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=spillway-test-ca');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'redis.key', '-out', 'redis.csr', '-subj', '/CN=localhost');
    writeFileSync(join(dir, 'ext'), 'subjectAltName=DNS:localhost\n');
    ssl('x509', '-req', '-in', 'redis.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'redis.crt', '-days', '1', '-extfile', 'ext');
    port = await freePort();
    // TLS only (no plaintext port) and AUTH required, as the cache stack's replication group.
    server = spawn('redis-server', ['--port', '0', '--tls-port', String(port), '--tls-cert-file', 'redis.crt', '--tls-key-file', 'redis.key', '--tls-ca-cert-file', 'ca.crt', '--tls-auth-clients', 'no', '--requirepass', token, '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'], { cwd: dir, stdio: 'ignore' });
    const probe = () => new IORedis({ host: 'localhost', port, password: token, tls: { ca: readFileSync(join(dir, 'ca.crt')) }, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await waitFor('the TLS Redis', async () => {
      const c = probe();
      try {
        await c.connect();
        return (await c.ping()) === 'PONG';
      } finally {
        c.disconnect();
      }
    });
  });
  afterAll(() => {
    server?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The driver in its own process with this env; its exit code and what it printed. */
  const enqueue = (env: Record<string, string>, id: string) => {
    const r = spawnSync(process.execPath, ['-r', '@swc-node/register', 'test/support/enqueue-once.ts', 'critical', id], {
      env: { ...process.env, QUEUE_DRIVER: 'bullmq', QUEUE_PREFIX: 'tls', LOG_LEVEL: 'warn', ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
    return { status: r.status, stderr: r.stderr.trim() };
  };

  it('enqueues over TLS with the token from the URL; the job is in the list KEDA reads', async () => {
    expect(enqueue({ REDIS_URL: `rediss://:${token}@localhost:${port}`, NODE_EXTRA_CA_CERTS: join(dir, 'ca.crt') }, 'evt-tls')).toEqual({ status: 0, stderr: '' });
    const c = new IORedis({ host: 'localhost', port, password: token, tls: { ca: readFileSync(join(dir, 'ca.crt')) } });
    try {
      expect(await c.llen('tls:critical:wait')).toBe(1);
    } finally {
      c.disconnect();
    }
  });

  it('fails without TLS (redis://), with a wrong token, or with a certificate Node does not trust', () => {
    expect(enqueue({ REDIS_URL: `redis://:${token}@localhost:${port}` }, 'evt-plain').status).toBe(1);
    expect(enqueue({ REDIS_URL: `rediss://:wrong@localhost:${port}`, NODE_EXTRA_CA_CERTS: join(dir, 'ca.crt') }, 'evt-auth').status).toBe(1);
    expect(enqueue({ REDIS_URL: `rediss://:${token}@localhost:${port}` }, 'evt-ca').status).toBe(1);
  });
});
