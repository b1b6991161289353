// `npm run deploy:hetzner [-- --dry-run] [-- --tls]`: synth, then `docker compose up -d`
// against DOCKER_HOST (the local engine when unset).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Runner, spawnRunner, startDeploy } from './command-runner';
import { envFileNames, hetznerSecretNames, OUTPUT_PATHS, ROOT } from './outputs';
import { spillway } from './spillway';
import { synth } from './synth';

const { host, sshUser, envFile } = spillway.targets.hetzner;

const HELP = `Usage: npm run deploy:hetzner [-- --dry-run] [--tls]

Renders and validates everything (npm run synth), then runs
  docker compose -f ${OUTPUT_PATHS.compose} up -d --build --remove-orphans
against DOCKER_HOST (the local engine when unset). For the box in the definition:
  DOCKER_HOST=ssh://${sshUser}@${host} npm run deploy:hetzner

Secrets come from ${envFile} (git-ignored): copy ${envFile}.example and set every value.

  --tls       also start the Caddy TLS proxy (compose profile "tls")
  --dry-run   print the command and the target host, run nothing
  --help      this text`;

/** `docker compose` (v2 plugin) when present, else the standalone docker-compose (1.29). */
function composeCommand(run: Runner): string[] | undefined {
  if (run('docker', ['compose', 'version']).status === 0) return ['docker', 'compose'];
  if (run('docker-compose', ['--version']).status === 0) return ['docker-compose'];
  return undefined;
}

/** Secrets the env_file lacks or leaves empty. */
export function missingSecrets(text: string): string[] {
  const set = new Set(
    envFileNames(text).filter((name) => {
      const line = text.split('\n').find((l) => l.trim().startsWith(`${name}=`)) ?? '';
      return line.slice(line.indexOf('=') + 1).trim() !== '';
    }),
  );
  return hetznerSecretNames(spillway).filter((n) => !set.has(n));
}

export function deployHetzner(
  args: string[],
  run: Runner = spawnRunner,
  log: (l: string) => void = console.log,
  // Tests pass a no-op so they never rewrite the committed outputs.
  render: (log: (l: string) => void) => number = (l) => synth([], l),
): number {
  const stop = startDeploy('deploy:hetzner', HELP, args, ['--dry-run', '--tls'], log, render);
  if (stop !== undefined) return stop;

  const target = process.env.DOCKER_HOST || 'the local Docker engine';
  const profile = args.includes('--tls') ? ['--profile', 'tls'] : [];
  const upArgs = ['-f', OUTPUT_PATHS.compose, ...profile, 'up', '-d', '--build', '--remove-orphans'];
  if (args.includes('--dry-run')) {
    log(`deploy:hetzner --dry-run: would run against ${target}:`);
    log(`  docker compose ${upArgs.join(' ')}`);
    return 0;
  }
  const envPath = join(ROOT, envFile);
  if (!existsSync(envPath)) {
    log(`deploy:hetzner: ${envFile} is missing; copy ${envFile}.example to it and set every value`);
    return 1;
  }
  const missing = missingSecrets(readFileSync(envPath, 'utf8'));
  if (missing.length) {
    log(`deploy:hetzner: ${envFile} lacks a value for ${missing.join(', ')}`);
    return 1;
  }
  const compose = composeCommand(run);
  if (!compose) {
    log('deploy:hetzner: neither `docker compose` nor `docker-compose` is installed');
    return 1;
  }
  log(`deploy:hetzner: starting the stack on ${target}`);
  const [cmd, ...pre] = compose;
  return run(cmd, [...pre, ...upArgs], { inherit: true }).status ?? 1;
}

if (require.main === module) process.exitCode = deployHetzner(process.argv.slice(2));
