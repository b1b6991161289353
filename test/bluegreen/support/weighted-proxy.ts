import { execFile, spawn, ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '../../support/env';
import { freePort } from '../../support/redis-server';

const run = promisify(execFile);

/**
 * nginx (Debian's) with one weighted upstream: the stand-in for Route 53 weighted records.
 * `setWeights` rewrites the config and reloads gracefully, as a DNS change would shift new
 * traffic while connections in flight finish where they started.
 */
export class WeightedProxy {
  private process?: ChildProcess;
  private readonly dir = mkdtempSync(join(tmpdir(), 'spillway-nginx-'));

  private constructor(readonly port: number, private readonly backends: Record<string, string>) {
    chmodSync(this.dir, 0o777); // nginx workers run as nobody
  }

  static async start(backends: Record<string, string>, weights: Record<string, number>): Promise<WeightedProxy> {
    const proxy = new WeightedProxy(await freePort(), backends);
    proxy.write(weights);
    proxy.process = spawn('nginx', ['-p', proxy.dir, '-c', join(proxy.dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
    await waitFor('nginx to listen', async () => (await fetch(`${proxy.url}/health/live`)).status === 200, 10_000);
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private write(weights: Record<string, number>): void {
    const servers = Object.entries(this.backends).map(([name, url]) => {
      const host = new URL(url).host;
      const w = weights[name] ?? 0;
      return w > 0 ? `    server ${host} weight=${w};` : `    server ${host} down;`;
    });
    if (!Object.values(weights).some((w) => w > 0)) throw new Error('at least one side needs a weight above 0');
    const d = this.dir;
    writeFileSync(
      join(d, 'nginx.conf'),
      `worker_processes 1;
error_log ${d}/error.log warn;
pid ${d}/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${d}/body;
  proxy_temp_path ${d}/proxy;
  fastcgi_temp_path ${d}/fastcgi;
  uwsgi_temp_path ${d}/uwsgi;
  scgi_temp_path ${d}/scgi;
  upstream spillway {
${servers.join('\n')}
    keepalive 32;
  }
  server {
    listen 127.0.0.1:${this.port};
    location / {
      proxy_pass http://spillway;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
    );
  }

  async setWeights(weights: Record<string, number>): Promise<void> {
    this.write(weights);
    await run('nginx', ['-p', this.dir, '-c', join(this.dir, 'nginx.conf'), '-s', 'reload']);
  }

  async stop(): Promise<void> {
    const proc = this.process;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGQUIT'); // graceful: finish what is in flight
    await exited;
  }
}
