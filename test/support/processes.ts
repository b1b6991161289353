import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** A Spillway process from the build (`npm run build`), as production runs it. */
export class AppProcess {
  output = '';
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (d) => (this.output += d));
    child.stderr?.on('data', (d) => (this.output += d));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static start(script: string, env: Record<string, string>, args: string[] = []): AppProcess {
    const child = spawn(process.execPath, [join(ROOT, script), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    return new AppProcess(child);
  }

  static absorber(env: Record<string, string>): AppProcess {
    return AppProcess.start('dist/apps/absorber/src/main.js', env);
  }

  static worker(env: Record<string, string>): AppProcess {
    return AppProcess.start('dist/apps/worker/src/main.js', env);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }
}
