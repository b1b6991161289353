import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { sleep } from '../../support/env';

const ROOT = join(__dirname, '..', '..', '..');
/** One fixed project name: a crashed run is found and removed by the next one. */
export const PROJECT = 'spillway-e2e';
/** The only host port docker-compose.yml publishes. */
export const ABSORBER_PORT = 8080;

/** Runs a command to completion; a non-zero exit throws with the end of its output. */
export function run(cmd: string, args: string[], timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', (err) => reject(new Error(`${cmd}: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(out);
      reject(new Error(`\`${cmd} ${args.join(' ')}\` failed (${signal ?? `exit ${code}`}):\n${out.slice(-4000)}`));
    });
  });
}

/** docker-compose against the repository's own docker-compose.yml, exactly as users run it. */
export function compose(args: string[], timeoutMs?: number): Promise<string> {
  return run('docker-compose', ['-p', PROJECT, '-f', join(ROOT, 'docker-compose.yml'), ...args], timeoutMs);
}

export const lines = (s: string) => s.split('\n').map((l) => l.trim()).filter(Boolean);

export interface Container {
  id: string;
  name: string;
  image: string;
  cmd: string[];
  env: Record<string, string>;
  status: string;
  exitCode: number;
  health?: string;
  startedAt: string;
  volumes: string[];
}

export async function inspect(id: string): Promise<Container> {
  const [c] = JSON.parse(await run('docker', ['inspect', id]));
  return {
    id,
    name: c.Name.replace(/^\//, ''),
    image: c.Config.Image,
    cmd: c.Config.Cmd ?? [],
    env: Object.fromEntries((c.Config.Env ?? []).map((e: string) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)])),
    status: c.State.Status,
    exitCode: c.State.ExitCode,
    health: c.State.Health?.Status,
    startedAt: c.State.StartedAt,
    volumes: (c.Mounts ?? []).filter((m: { Type: string }) => m.Type === 'volume').map((m: { Name: string }) => m.Name),
  };
}

/** The services' containers, by service name (one container per service in this stack). */
export async function containers(): Promise<Map<string, Container>> {
  const out = new Map<string, Container>();
  for (const service of lines(await compose(['config', '--services']))) {
    const [id] = lines(await compose(['ps', '-q', service]));
    if (id) out.set(service, await inspect(id));
  }
  return out;
}

/**
 * Waits until every container is healthy (or running, without a healthcheck). One that exited, or
 * that Docker already calls unhealthy (its healthcheck's retries spent), fails at once.
 */
export async function waitHealthy(services: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let pending: string[] = services;
  while (Date.now() < deadline) {
    const now = await containers();
    const dead = services.filter((s) => !now.has(s) || ['exited', 'dead'].includes(now.get(s)!.status) || now.get(s)!.health === 'unhealthy');
    if (dead.length) throw new Error(`stopped or unhealthy: ${dead.join(', ')}\n${await logs()}`);
    pending = services.filter((s) => (now.get(s)!.health ?? (now.get(s)!.status === 'running' ? 'healthy' : 'no')) !== 'healthy');
    if (!pending.length) return;
    await sleep(1000);
  }
  throw new Error(`not healthy after ${timeoutMs} ms: ${pending.join(', ')}\n${await logs()}`);
}

export async function logs(): Promise<string> {
  return compose(['logs', '--no-color', '--tail', '30']).catch((err: Error) => err.message);
}

/** Resolves once nothing on the host holds the published port (another compose project, a dev server). */
export async function waitPortFree(port: number, timeoutMs: number): Promise<void> {
  const free = () =>
    new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
    });
  const deadline = Date.now() + timeoutMs;
  while (!(await free())) {
    if (Date.now() > deadline) {
      const holders = await run('docker', ['ps', '--filter', `publish=${port}`, '--format', '{{.Names}} ({{.Label "com.docker.compose.project"}})']).catch(() => '');
      throw new Error(`host port ${port} still taken after ${timeoutMs} ms${holders ? ` by containers: ${lines(holders).join(', ')}` : ' (not by a container)'}`);
    }
    await sleep(2000);
  }
}
