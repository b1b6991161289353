import { ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from '../../support/env';
import { freePort } from '../../support/redis-server';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { writeConf } = require('./nginx-conf') as { writeConf: (dir: string, weights: Record<string, number>) => void };

const run = promisify(execFile);

/**
 * nginx (Debian's) with one weighted upstream: the stand-in for Route 53 weighted records.
 * A reload shifts new requests while those in flight finish where they started, as a DNS change
 * would. `apply-weights.js <dir>` does the same from `npm run cutover --apply`.
 */
export class WeightedProxy {
  private process?: ChildProcess;
  readonly dir = mkdtempSync(join(tmpdir(), 'spillway-nginx-'));

  private constructor(readonly port: number) {
    chmodSync(this.dir, 0o777); // nginx workers run as nobody
  }

  static async start(backends: Record<string, string>, weights: Record<string, number>): Promise<WeightedProxy> {
    const proxy = new WeightedProxy(await freePort());
    writeFileSync(join(proxy.dir, 'backends.json'), JSON.stringify({ port: proxy.port, backends }));
    writeConf(proxy.dir, weights);
    proxy.process = spawn('nginx', ['-p', proxy.dir, '-c', join(proxy.dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
    await waitFor('nginx to listen', async () => (await fetch(`${proxy.url}/health/live`)).status === 200, 10_000);
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  weights(): Record<string, number> {
    return JSON.parse(readFileSync(join(this.dir, 'weights.json'), 'utf8'));
  }

  async setWeights(weights: Record<string, number>): Promise<void> {
    writeConf(this.dir, weights);
    await run('nginx', ['-p', this.dir, '-c', join(this.dir, 'nginx.conf'), '-s', 'reload']);
  }

  async stop(): Promise<void> {
    const proc = this.process;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGQUIT'); // graceful: finish what is in flight
    await exited;
  }
}
