// `npm run deploy:aws [-- --dry-run]`: re-render, then `cdk deploy` the rendered stacks in order
// (network, cluster, data, queues, access, [workers], registry, [dr], backups, [dr-copy], edge, billing,
// alarms, chaos, [cache]). The CLI reads the
// committed cloud assembly as is (`--app deploy/aws/rendered`), so what deploys is what was reviewed.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Runner, spawnRunner, startDeploy } from '../command-runner';
import { EksDefinition } from '../model/definition';
import { lambdaLanes } from '../model/lambda-lanes';
import { ROOT } from '../outputs';
import { spillway } from '../spillway';
import { eksDefinition } from '../model/targets';
import { synth } from '../synth';
import { AWS_RENDERED, stageAwsAssets } from './app';

const eks = eksDefinition(spillway);

/** Where `cdk deploy` writes the stacks' outputs (git-ignored); deploy:eks reads it. */
export const STACK_OUTPUTS_FILE = 'deploy/aws/outputs.json';

/** The stacks in deploy order, as buildAwsApp creates them (deploy-aws.spec.ts checks they agree). */
export function stackNames(def: EksDefinition, definitionWide = true): string[] {
  const dr = (s: string[]) => (def.target.aws.dr ? s : []);
  const wide = (s: string[]) => (definitionWide ? s : []);
  const stacks = ['network', 'cluster', 'data', def.target.broker.kind === 'sqs' ? 'queues' : 'cache', 'access', ...(lambdaLanes(def).length ? ['workers'] : []), 'registry', ...dr(['dr']), 'backups', ...dr(['dr-copy']), ...wide(['edge']), 'billing', 'alarms', 'chaos', ...wide(['ci']), ...(def.movePath && definitionWide ? ['move-path'] : [])];
  return stacks.map((s) => `${def.target.aws.stackPrefix}-${s}`);
}

const cdk = (...args: string[]) => ['npx', 'cdk', ...args, '--app', AWS_RENDERED];

/**
 * Whether the AWS SDK's default chain has something to try: keys, a profile, shared config files,
 * or a container/web-identity role. (On EC2, instance roles are found only by asking; set AWS_PROFILE or keys there.)
 */
export function hasAwsCredentials(env: NodeJS.ProcessEnv = process.env, home = homedir()): boolean {
  const vars = ['AWS_ACCESS_KEY_ID', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'];
  if (vars.some((v) => env[v])) return true;
  return [env.AWS_SHARED_CREDENTIALS_FILE ?? join(home, '.aws/credentials'), env.AWS_CONFIG_FILE ?? join(home, '.aws/config')].some((f) => existsSync(f));
}

/** `Type LogicalId` lines of one rendered stack's template. */
export function stackResources(name: string, root = ROOT): string[] {
  const template = JSON.parse(readFileSync(join(root, AWS_RENDERED, `${name}.template.json`), 'utf8')) as { Resources: Record<string, { Type: string }> };
  return Object.entries(template.Resources)
    .map(([id, r]) => `${r.Type} ${id}`)
    .sort();
}

const help = () => `Usage: npm run deploy:aws [-- --dry-run]

Renders and validates everything (npm run synth), then deploys the AWS stacks of deploy/spillway.ts
in order with the AWS CDK CLI, from the committed cloud assembly:
  ${cdk('deploy', '<stacks>', '--require-approval', 'never', '--outputs-file', STACK_OUTPUTS_FILE).join(' ')}
Stacks: ${stackNames(eks).join(', ')}
Their outputs (cluster name and endpoint, database endpoint, role ARNs) land in ${STACK_OUTPUTS_FILE},
which npm run deploy:eks reads.

Once per account and region first: npx cdk bootstrap aws://${eks.target.accountId}/${eks.target.region}
Credentials: the AWS SDK's usual chain (AWS_PROFILE, keys, SSO via aws configure sso).

  --dry-run   list the stacks and their resources; with credentials also run cdk diff; deploy nothing
  --help      this text`;

/** Builds the Lambda bundle into the assembly (asset.<hash>/) before the CLI reads it; false on failure. */
function staged(stage: () => string[], log: (l: string) => void): boolean {
  try {
    for (const dir of stage()) log(`deploy:aws: staged ${AWS_RENDERED}/${dir}`);
    return true;
  } catch (err) {
    log(`deploy:aws: ${(err as Error).message}`);
    return false;
  }
}

export function deployAws(
  args: string[],
  run: Runner = spawnRunner,
  log: (l: string) => void = console.log,
  render: (log: (l: string) => void) => number = (l) => synth([], l),
  credentials: () => boolean = hasAwsCredentials,
  stage: () => string[] = () => stageAwsAssets(eks, ROOT),
): number {
  const stop = startDeploy('deploy:aws', help(), args, ['--dry-run'], log, render);
  if (stop !== undefined) return stop;
  const names = stackNames(eks);
  if (args.includes('--dry-run')) {
    for (const name of names) {
      const resources = stackResources(name);
      log(`${name} (${resources.length} resources)`);
      for (const r of resources) log(`  ${r}`);
    }
    if (!credentials()) {
      log('deploy:aws --dry-run: no AWS credentials found (AWS_PROFILE, AWS_ACCESS_KEY_ID or ~/.aws/); skipped cdk diff');
      return 0;
    }
    if (!staged(stage, log)) return 1;
    const [cmd, ...rest] = cdk('diff', ...names);
    return run(cmd, rest, { inherit: true }).status ?? 1;
  }
  if (!credentials()) {
    log('deploy:aws: no AWS credentials found; set AWS_PROFILE (or run `aws configure sso`) and run again');
    return 1;
  }
  if (!staged(stage, log)) return 1;
  const [cmd, ...rest] = cdk('deploy', ...names, '--require-approval', 'never', '--outputs-file', STACK_OUTPUTS_FILE);
  log(`deploy:aws: ${[cmd, ...rest].join(' ')}`);
  const result = run(cmd, rest, { inherit: true });
  if (result.error) {
    log('deploy:aws: could not start npx cdk; run `npm install` (aws-cdk is a dev dependency)');
    return 1;
  }
  return result.status ?? 1;
}

if (require.main === module) process.exitCode = deployAws(process.argv.slice(2));
