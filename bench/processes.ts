import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
// getconf CLK_TCK: 100 on every Linux this runs on (it is fixed by the kernel ABI for /proc).
const CLOCK_TICKS = 100;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const live = new Set<ChildProcess>();

/** On Ctrl-C: stop every process this bench started, each by its own pid. */
export function killChildren(): void {
  for (const proc of live) proc.kill('SIGKILL');
}

/** A child process the bench started; it is always stopped by its own pid, never by name. */
export class Child {
  output = '';
  readonly exited: Promise<number | null>;

  constructor(readonly name: string, readonly proc: ChildProcess) {
    proc.stdout?.on('data', (d) => (this.output = (this.output + d).slice(-20_000)));
    proc.stderr?.on('data', (d) => (this.output = (this.output + d).slice(-20_000)));
    live.add(proc);
    this.exited = new Promise((resolve) =>
      proc.once('exit', (code) => {
        live.delete(proc);
        resolve(code);
      }),
    );
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Resident set size now, in MB, from /proc (Linux). */
  rssMb(): number | undefined {
    try {
      const status = readFileSync(`/proc/${this.proc.pid}/status`, 'utf8');
      const kb = /VmRSS:\s+(\d+) kB/.exec(status);
      return kb ? Number(kb[1]) / 1024 : undefined;
    } catch {
      return undefined;
    }
  }

  /** CPU time (user + system) this process has used so far, in seconds, from /proc (Linux). */
  cpuSeconds(): number | undefined {
    try {
      // Fields after the command name (which may hold spaces) start at field 3; utime and stime are 14 and 15.
      const stat = readFileSync(`/proc/${this.proc.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    } catch {
      return undefined;
    }
  }

  async waitForPort(port: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited before listening:\n${this.output}`);
      if (await portOpen(port)) return;
      await sleep(100);
    }
    throw new Error(`${this.name} did not listen on ${port} within ${timeoutMs} ms:\n${this.output}`);
  }

  /** SIGTERM, then SIGKILL if it has not exited within the grace period. */
  async stop(graceMs = 10_000): Promise<number | null> {
    if (!this.running) return this.exited;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.running && this.proc.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

// resolve, not join: a script given absolute (a --baseline build outside the tree) stays as given.
export function startNode(name: string, script: string, env: Record<string, string>, nodeArgs: string[] = []): Child {
  const proc = spawn(process.execPath, [...nodeArgs, resolve(ROOT, script)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Child(name, proc);
}

/** Samples a child's RSS while load runs; `stop()` returns the peak in MB. */
export function sampleRss(child: Child, everyMs = 250): { stop(): number | undefined } {
  let peak: number | undefined;
  const timer = setInterval(() => {
    const mb = child.rssMb();
    if (mb !== undefined && (peak === undefined || mb > peak)) peak = mb;
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

/**
 * A redis-server of the bench's own on a free port (the shared one on 6379 is never flushed),
 * with AOF as the production compose file sets it (appendfsync always) unless `aof` is false.
 */
export async function startRedis(aof: boolean): Promise<{ child: Child; url: string; port: number; stop(): Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'spillway-bench-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  args.push('--appendonly', aof ? 'yes' : 'no', '--appendfsync', 'always');
  const child = new Child('redis-server', spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  await child.waitForPort(port, 10_000);
  return {
    child,
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      await child.stop(5000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
