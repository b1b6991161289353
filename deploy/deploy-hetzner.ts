// `npm run deploy:hetzner [-- --dry-run] [-- --tls]`: synth, then `docker compose up -d`
// against DOCKER_HOST (the local engine when unset).
import { Runner, spawnRunner, startDeploy } from './command-runner';
import { boxProblems, composeCommand } from './hetzner/preflight';
import { OUTPUT_PATHS, ROOT } from './outputs';
import { spillway } from './spillway';
import { composeDefinition } from './model/targets';
import { synth } from './synth';

const box = composeDefinition(spillway);

const { host, sshUser, secretsDir } = box.target;

const HELP = `Usage: npm run deploy:hetzner [-- --dry-run] [--tls] [--monitoring]

Renders and validates everything (npm run synth), then runs
  docker compose -f ${OUTPUT_PATHS.compose} up -d --build --remove-orphans
against DOCKER_HOST (the local engine when unset). For the box in the definition:
  DOCKER_HOST=ssh://${sshUser}@${host} npm run deploy:hetzner

First it checks the box: Docker >= 20.10, compose >= 1.29, free disk where Docker keeps its data,
and one secret file per service in ${secretsDir}/ (git-ignored; copy each <service>.env.example to
<service>.env and set every value). It names everything missing and starts nothing until all is there.

  --tls         also start the Caddy TLS proxy (compose profile "tls")
  --monitoring  also start Prometheus, Grafana and the exporters (compose profile "monitoring";
                docs/operations.md); give it on every deploy to keep them running
  --dry-run     print the command and the target host, run nothing
  --help        this text`;

export function deployHetzner(
  args: string[],
  run: Runner = spawnRunner,
  log: (l: string) => void = console.log,
  // Tests pass a no-op so they never rewrite the committed outputs.
  render: (log: (l: string) => void) => number = (l) => synth([], l),
): number {
  const stop = startDeploy('deploy:hetzner', HELP, args, ['--dry-run', '--tls', '--monitoring'], log, render);
  if (stop !== undefined) return stop;

  const target = process.env.DOCKER_HOST || 'the local Docker engine';
  const profile = (['tls', 'monitoring'] as const).filter((p) => args.includes(`--${p}`)).flatMap((p) => ['--profile', p]);
  const upArgs = ['-f', OUTPUT_PATHS.compose, ...profile, 'up', '-d', '--build', '--remove-orphans'];
  if (args.includes('--dry-run')) {
    log(`deploy:hetzner --dry-run: would run against ${target}:`);
    log(`  docker compose ${upArgs.join(' ')}`);
    return 0;
  }
  log(`deploy:hetzner: checking the box (${target})`);
  const problems = boxProblems(box, run, ROOT);
  if (problems.length) {
    for (const p of problems) log(`deploy:hetzner: ${p}`);
    log(`deploy:hetzner: ${problems.length} thing(s) missing; nothing was started`);
    return 1;
  }
  const compose = composeCommand(run);
  if (!compose) return 1;
  log(`deploy:hetzner: starting the stack on ${target}`);
  const [cmd, ...pre] = compose.cmd;
  return run(cmd, [...pre, ...upArgs], { inherit: true }).status ?? 1;
}

if (require.main === module) process.exitCode = deployHetzner(process.argv.slice(2));
