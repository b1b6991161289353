// A release on the Hetzner box: pull the pinned image, recreate the app services on it with
// `compose up -d --no-build`, wait until every one is healthy on that image (the health gate), then
// append it to the box's release history. A rollback is the same with the previous image.
import { existsSync, mkdirSync, readFileSync, appendFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Runner } from '../command-runner';
import { composeCommand } from '../hetzner/preflight';
import { MIGRATE_STEP, SpillwayDefinition } from '../model/definition';
import { OUTPUT_PATHS } from '../outputs';
import { formatRelease, parseHistory, Release } from './history';
import { IMAGE_VARIABLE } from './image-ref';

export interface ReleaseIo {
  run: Runner;
  log: (line: string) => void;
  env: NodeJS.ProcessEnv;
  now: () => Date;
  sleep: (ms: number) => void;
}

export const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Where the history lives: SPILLWAY_RELEASE_LOG, else the definition's path, on the box over ssh
 * when DOCKER_HOST is ssh:// (the file sits beside what it describes), else on this machine.
 */
export class HetznerHistory {
  readonly path: string;
  private readonly sshHost?: string;
  constructor(def: SpillwayDefinition, private readonly io: ReleaseIo) {
    this.path = io.env.SPILLWAY_RELEASE_LOG || def.release.hetznerReleaseLog;
    const host = io.env.DOCKER_HOST;
    if (host?.startsWith('ssh://') && !io.env.SPILLWAY_RELEASE_LOG) this.sshHost = host.slice('ssh://'.length);
  }

  get where(): string {
    return this.sshHost ? `${this.sshHost}:${this.path}` : this.path;
  }

  read(): Release[] {
    if (!this.sshHost) return existsSync(this.path) ? parseHistory(readFileSync(this.path, 'utf8')) : [];
    const r = this.io.run('ssh', [this.sshHost, `cat ${this.path} 2>/dev/null || true`]);
    if (r.status !== 0) throw new Error(`could not read the release history ${this.where}: ${r.stderr.trim() || r.error?.message}`);
    return parseHistory(r.stdout);
  }

  append(release: Release): void {
    const line = formatRelease(release);
    if (!this.sshHost) {
      mkdirSync(dirname(this.path), { recursive: true });
      appendFileSync(this.path, `${line}\n`);
      return;
    }
    // The line holds a time, a word and a validated digest ref: nothing the remote shell interprets.
    const r = this.io.run('ssh', [this.sshHost, `mkdir -p "$(dirname ${this.path})" && printf '%s\\n' '${line}' >> ${this.path}`]);
    if (r.status !== 0) throw new Error(`could not append to the release history ${this.where}: ${r.stderr.trim()}`);
  }
}

/** The services a release recreates: the migration step and every app service, never Redis or Postgres. */
export const appServices = (def: SpillwayDefinition) => [MIGRATE_STEP.name, ...def.services.map((s) => s.name)];

/** COMPOSE_FILE / COMPOSE_PROJECT_NAME, when set, choose the file and project as compose itself does. */
const fileArgs = (env: NodeJS.ProcessEnv) => (env.COMPOSE_FILE ? [] : ['-f', OUTPUT_PATHS.compose]);

export interface HetznerReleaseOptions {
  image: string;
  how: Release['how'];
  dryRun: boolean;
  healthTimeoutMs: number;
}

export function releaseHetzner(def: SpillwayDefinition, o: HetznerReleaseOptions, io: ReleaseIo): number {
  const { run, log } = io;
  const target = io.env.DOCKER_HOST || 'the local Docker engine';
  const history = new HetznerHistory(def, io);
  const services = appServices(def);
  const up = [...fileArgs(io.env), 'up', '-d', '--no-build', ...services];
  const name = `${o.how === 'rollback' ? 'rollback' : 'release'} --target hetzner`;
  if (o.dryRun) {
    log(`${name} --dry-run: against ${target}, would run`);
    log(`  docker pull ${o.image}`);
    log(`  ${IMAGE_VARIABLE}=${o.image} docker compose ${up.join(' ')}`);
    log(`  then wait up to ${o.healthTimeoutMs / 1000} s for ${def.services.map((s) => s.name).join(', ')} to be healthy on that image`);
    log(`  then append "${o.how} ${o.image}" to the release history ${history.where}`);
    return 0;
  }
  const compose = composeCommand(run);
  if (!compose) {
    log(`${name}: neither \`docker compose\` nor \`docker-compose\` is installed here; install the compose plugin`);
    return 1;
  }
  log(`${name}: pulling ${o.image} on ${target}`);
  const pull = run('docker', ['pull', o.image], { inherit: true });
  if (pull.error || pull.status !== 0) {
    log(`${name}: docker pull ${o.image} failed; is Docker running at ${target}, the registry reachable, and are you logged in to it?`);
    return 1;
  }
  log(`${name}: recreating ${services.join(', ')} on ${o.image}`);
  const [cmd, ...pre] = compose.cmd;
  const started = run(cmd, [...pre, ...up], { inherit: true, env: { [IMAGE_VARIABLE]: o.image } });
  if (started.status !== 0) {
    log(`${name}: compose up failed (above); the release history is unchanged`);
    return started.status ?? 1;
  }
  const gate = healthGate(def, o, io, [cmd, ...pre, ...fileArgs(io.env)]);
  if (gate) {
    log(`${name}: ${gate}; the release history is unchanged (npm run rollback -- --target hetzner returns to the last good release)`);
    return 1;
  }
  history.append({ at: io.now().toISOString(), how: o.how, image: o.image });
  log(`${name}: ${def.services.map((s) => s.name).join(', ')} healthy on ${o.image}; recorded in ${history.where}`);
  return 0;
}

/** Undefined once every app service runs `image` and is healthy; else why not, at the timeout. */
function healthGate(def: SpillwayDefinition, o: HetznerReleaseOptions, io: ReleaseIo, compose: string[]): string | undefined {
  const deadline = io.now().getTime() + o.healthTimeoutMs;
  let waiting = '';
  for (;;) {
    const states = def.services.map((svc) => {
      const ids = io.run(compose[0], [...compose.slice(1), 'ps', '-q', svc.name], { env: { [IMAGE_VARIABLE]: o.image } }).stdout.trim().split('\n').filter(Boolean);
      if (!ids.length) return `${svc.name}: no container`;
      const states = ids.map((id) => io.run('docker', ['inspect', '--format', '{{.Config.Image}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}', id]).stdout.trim());
      const bad = states.find((s) => s.split(' ')[0] !== o.image || s.split(' ')[2] !== 'healthy');
      return bad ? `${svc.name}: ${bad}` : '';
    });
    waiting = states.filter(Boolean).join('; ');
    if (!waiting) return undefined;
    // Docker calls a container unhealthy once its healthcheck's retries are spent: no point waiting.
    const failed = states.find((s) => / (exited|dead)|unhealthy$/.test(s));
    if (failed) return `not healthy: ${failed}`;
    if (io.now().getTime() > deadline) return `not healthy after ${o.healthTimeoutMs / 1000} s: ${waiting}`;
    io.sleep(2000);
  }
}
