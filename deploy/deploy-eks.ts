// `npm run deploy:eks [-- --dry-run]`: synth, validate, server-side apply to the current context.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { bootstrapCommands, installOrder, VPC_ID_UNKNOWN } from './aws/addons';
import { clusterAccess, readStackOutputs, StackOutputs } from './aws/stack-outputs';
import { Runner, spawnRunner, startDeploy } from './command-runner';
import { runBootstrap } from './eks-bootstrap';
import { migrateJobName } from './eks/migrate-job';
import { OUTPUT_PATHS, ROOT } from './outputs';
import { spillway } from './spillway';
import { eksDefinition } from './model/targets';
import { synth } from './synth';

const eks = eksDefinition(spillway);

const { cluster, namespace } = eks.target;

const HELP = `Usage: npm run deploy:eks [-- --dry-run] [--bootstrap]

Renders and validates everything (npm run synth), then applies
${OUTPUT_PATHS.manifests} with
  kubectl apply --server-side --field-manager=spillway -f <that file>
to the CURRENT kubectl context (cluster ${cluster} in the definition), then waits for the
migration Job (npm run migrate, one per image) to complete.

Before the first deploy: npm run deploy:aws (the cluster, queues, roles; docs/aws.md), then once
  npm run deploy:eks -- --bootstrap
which installs the add-ons the manifests need (AWS Load Balancer Controller, metrics-server, KEDA,
External Secrets Operator, Cluster Autoscaler) as pinned Helm releases (deploy/aws/addons.ts), in
order; a release that fails is rolled back (or uninstalled), the others go on, and each release's
state is printed at the end. It needs the VPC id from deploy/aws/outputs.json.
Point kubectl at the cluster with the command this prints; it takes the cluster name and deploy
role from deploy/aws/outputs.json (written by deploy:aws) when that file exists.

  --bootstrap print (with --dry-run) or run the add-ons' helm commands instead of applying the manifests
  --dry-run   print the plan (context, objects in apply order, command) and apply nothing
  --help      this text`;

function plan(file: string): string[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
    const o = d.toJS() as { kind: string; metadata: { name: string; namespace?: string } };
    return `  ${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
  });
}

export function deployEks(
  args: string[],
  run: Runner = spawnRunner,
  log: (l: string) => void = console.log,
  // Tests pass a no-op so they never rewrite the committed outputs.
  render: (log: (l: string) => void) => number = (l) => synth([], l),
  readOutputs: () => StackOutputs | undefined = () => readStackOutputs(ROOT),
): number {
  const stop = startDeploy('deploy:eks', HELP, args, ['--dry-run', '--bootstrap'], log, render);
  if (stop !== undefined) return stop;
  const dryRun = args.includes('--dry-run');
  const outputs = readOutputs();
  const access = clusterAccess(eks, outputs);
  const { cluster } = access;
  if (args.includes('--bootstrap')) return bootstrap(run, log, dryRun, outputs);

  const file = join(ROOT, OUTPUT_PATHS.manifests);
  const ctx = run('kubectl', ['config', 'current-context']);
  const context = ctx.status === 0 ? ctx.stdout.trim() : '';
  const apply = ['apply', '--server-side', '--field-manager=spillway', '-f', OUTPUT_PATHS.manifests];
  if (dryRun) {
    log(`deploy:eks --dry-run: would apply to context ${context || '(none set)'}:`);
    plan(file).forEach((line) => log(line));
    log(`command: kubectl ${apply.join(' ')}`);
    return 0;
  }
  if (ctx.error) {
    log('deploy:eks: kubectl not found; install it, then run again');
    return 1;
  }
  if (!context) {
    log(`deploy:eks: no kubectl context is set; run \`${access.command}\` first`);
    return 1;
  }
  // EKS contexts are ARNs ending in cluster/<name>; another name is worth a warning, not a stop.
  if (!context.includes(cluster)) log(`deploy:eks: warning: context "${context}" does not mention cluster ${cluster}`);
  // The API server checks against the cluster's own schemas and CRDs first; all or nothing.
  log(`deploy:eks: server-side dry run on ${context}`);
  const check = run('kubectl', [...apply, '--dry-run=server'], { inherit: true });
  if (check.status !== 0) {
    log('deploy:eks: the cluster rejected the manifests (above); nothing was applied');
    return check.status ?? 1;
  }
  log(`deploy:eks: applying to ${context}`);
  const result = run('kubectl', apply, { inherit: true });
  if (result.status !== 0) return result.status ?? 1;
  // The workers turn ready only once the schema is current; say here whether the migration ran.
  const job = migrateJobName(eks);
  log(`deploy:eks: waiting for the migration Job ${job} (npm run migrate, up to 10 min)`);
  const waited = run('kubectl', ['-n', namespace, 'wait', '--for=condition=complete', `job/${job}`, '--timeout=600s'], { inherit: true });
  if (waited.status !== 0) {
    log(`deploy:eks: the migration Job did not complete; see \`kubectl -n ${namespace} logs job/${job}\` (workers stay unready until it does)`);
    return waited.status ?? 1;
  }
  return 0;
}

/** The VPC id the cluster stack exported (deploy:aws's outputs), if deploy:aws has run. */
export function deployedVpcId(outputs?: StackOutputs): string | undefined {
  return outputs?.[`${eks.target.aws.stackPrefix}-cluster`]?.VpcId;
}

/** The add-ons' helm commands: printed with --dry-run, else run by runBootstrap. */
function bootstrap(run: Runner, log: (l: string) => void, dryRun: boolean, outputs?: StackOutputs): number {
  const vpcId = deployedVpcId(outputs);
  if (dryRun) {
    log('deploy:eks --bootstrap --dry-run: would run');
    bootstrapCommands(eks, { vpcId: vpcId ?? VPC_ID_UNKNOWN }).forEach((c) => log(`  ${c.join(' ')}`));
    return 0;
  }
  if (!vpcId) {
    log(`deploy:eks: deploy/aws/outputs.json has no VpcId for ${eks.target.aws.stackPrefix}-cluster; run \`npm run deploy:aws\` first (the Load Balancer Controller needs it)`);
    return 1;
  }
  return runBootstrap(installOrder(eks, { vpcId }), run, log);
}

if (require.main === module) process.exitCode = deployEks(process.argv.slice(2));
