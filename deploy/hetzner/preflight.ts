// What `npm run deploy:hetzner` checks on the box before it changes anything: Docker and compose
// versions, free disk where Docker keeps images and volumes, and every service's secret file.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Runner } from '../command-runner';
import { ComposeDefinition } from '../model/definition';
import { secretExample, secretFile, secretFileProblems, secretsByService } from './secret-files';

/** healthcheck-gated depends_on and `deploy.resources` outside swarm need these or newer. */
export const MIN_DOCKER = [20, 10];
export const MIN_COMPOSE = [1, 29];
/** An image build, the Postgres volume's growth and a dump before a restore fit in this. */
export const MIN_FREE_GIB = 5;

function version(text: string): number[] | undefined {
  const m = /(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

const atLeast = (v: number[], min: number[]) => v[0] > min[0] || (v[0] === min[0] && v[1] >= min[1]);
const firstLine = (s: string) => s.trim().split('\n')[0] ?? '';

/** `docker compose` (v2 plugin) when present, else the standalone docker-compose (1.29). */
export function composeCommand(run: Runner): { cmd: string[]; version?: number[] } | undefined {
  const plugin = run('docker', ['compose', 'version', '--short']);
  if (plugin.status === 0) return { cmd: ['docker', 'compose'], version: version(plugin.stdout) };
  const standalone = run('docker-compose', ['version', '--short']);
  if (standalone.status === 0) return { cmd: ['docker-compose'], version: version(standalone.stdout) };
  return undefined;
}

/** Free GiB on the filesystem of Docker's root dir, asked over ssh when DOCKER_HOST is ssh://. */
function freeGiB(run: Runner, dockerHost: string | undefined, rootDir: string): number | undefined {
  const df = ['df', '-Pk', rootDir];
  const r = dockerHost?.startsWith('ssh://') ? run('ssh', [dockerHost.slice('ssh://'.length), ...df]) : run(df[0], df.slice(1));
  const fields = r.status === 0 ? r.stdout.trim().split('\n').at(-1)?.split(/\s+/) : undefined;
  const availKiB = Number(fields?.[3]);
  return Number.isFinite(availKiB) ? availKiB / 1024 / 1024 : undefined;
}

/** One line per thing the box lacks; empty when it is ready for `compose up`. */
export function boxProblems(def: ComposeDefinition, run: Runner, root: string, dockerHost = process.env.DOCKER_HOST): string[] {
  const problems: string[] = [];
  const where = dockerHost || 'the local Docker engine';
  const engine = run('docker', ['version', '--format', '{{.Server.Version}}']);
  const engineVersion = engine.status === 0 ? version(engine.stdout) : undefined;
  if (!engineVersion) {
    problems.push(`Docker at ${where} does not answer (${firstLine(engine.stderr) || engine.error?.message || 'no version'}); install or start it`);
  } else if (!atLeast(engineVersion, MIN_DOCKER)) {
    problems.push(`Docker ${engineVersion.join('.')} at ${where} is older than ${MIN_DOCKER.join('.')}; upgrade it`);
  }
  const compose = composeCommand(run);
  if (!compose) problems.push('neither `docker compose` nor `docker-compose` is installed here; install the compose plugin');
  else if (compose.version && !atLeast(compose.version, MIN_COMPOSE)) {
    problems.push(`${compose.cmd.join(' ')} ${compose.version.join('.')} is older than ${MIN_COMPOSE.join('.')}; upgrade it`);
  }
  if (engineVersion) {
    const rootDir = firstLine(run('docker', ['info', '--format', '{{.DockerRootDir}}']).stdout) || '/var/lib/docker';
    const free = freeGiB(run, dockerHost, rootDir);
    if (free === undefined) problems.push(`could not read the free disk of ${rootDir} on ${where}`);
    else if (free < MIN_FREE_GIB) problems.push(`only ${free.toFixed(1)} GiB free in ${rootDir} on ${where}; ${MIN_FREE_GIB} GiB needed`);
  }
  for (const service of Object.keys(secretsByService(def))) {
    const file = secretFile(def, service);
    if (!existsSync(join(root, file))) {
      problems.push(`${file} is missing; copy ${secretExample(def, service)} to it and set every value`);
      continue;
    }
    problems.push(...secretFileProblems(def, service, readFileSync(join(root, file), 'utf8'), file));
  }
  return problems;
}
