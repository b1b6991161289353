import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { waitFor } from './env';
import { freePort } from './redis-server';

// From the repository root: fauxqs exports no package.json for require.resolve to find.
const CLI = join(process.cwd(), 'node_modules', 'fauxqs', 'dist', 'cli.js');

/** The SQS/S3 emulator as a process of the test run's own, on a spare port. */
export class FauxqsServer {
  private constructor(readonly port: number, readonly process: ChildProcess) {}

  /** `host`: 0.0.0.0 when containers must reach it through the Docker bridge. */
  static async start(port?: number, host = '127.0.0.1'): Promise<FauxqsServer> {
    port ??= await freePort();
    const child = spawn(process.execPath, [CLI], {
      env: { ...process.env, FAUXQS_PORT: String(port), FAUXQS_HOST: host, FAUXQS_LOGGER: 'false' },
      stdio: 'ignore',
    });
    const server = new FauxqsServer(port, child);
    await waitFor('fauxqs to answer', async () => (await fetch(`${server.url}/health`)).ok, 15_000);
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null) return;
    const exited = new Promise((r) => this.process.once('exit', r));
    this.process.kill('SIGTERM');
    await exited;
  }
}
