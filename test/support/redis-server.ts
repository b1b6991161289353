import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import IORedis from 'ioredis';
import { waitFor } from './env';

/**
 * A port nothing listens on, for a server a test starts next. Taken at random BELOW the kernel's
 * ephemeral range: a port-0 bind hands out a port from that range, and once it is released any
 * outgoing connection (to Postgres, Redis, an app) may get it as its source port before the
 * child process binds it (seen in CI as EADDRINUSE). Below the range only explicit binds compete.
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange();
  const from = Math.max(1024, low - 12_000);
  for (let tries = 0; tries < 50; tries++) {
    const port = from + Math.floor(Math.random() * (low - from));
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port found in ${from}-${low - 1} after 50 tries`);
}

function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low > 2048 && high >= low) return [low, high];
  } catch {
    // not Linux: the IANA range
  }
  return [49152, 65535];
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

/** A redis-server of the test's own, on a spare port, that the test may kill and restart. */
export class RedisServer {
  private process?: ChildProcess;
  readonly dir = mkdtempSync(join(tmpdir(), 'spillway-redis-'));

  private constructor(readonly port: number, private readonly aof: boolean, private readonly extraArgs: string[]) {}

  /** `args`: more redis-server options, e.g. `['--maxmemory', '16mb']`. */
  static async start(options: { aof?: boolean; args?: string[] } = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), options.aof ?? true, options.args ?? []);
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', ''];
    args.push('--appendonly', this.aof ? 'yes' : 'no', '--appendfsync', 'always', ...this.extraArgs);
    this.process = spawn('redis-server', args, { stdio: 'ignore' });
    await waitFor('redis-server to answer', async () => {
      const client = new IORedis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => undefined);
      try {
        await client.connect();
        return (await client.ping()) === 'PONG';
      } finally {
        client.disconnect();
      }
    });
  }

  /** SIGKILL: no chance to flush anything but what AOF already has. */
  async kill(): Promise<void> {
    const proc = this.process;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  }
}

/** Removes a suite's keys from the shared Redis, so runs do not pile up there. */
export async function dropKeys(url: string, prefix: string): Promise<void> {
  const client = new IORedis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
