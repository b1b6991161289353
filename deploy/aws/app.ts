// The CDK app: one stack per concern, all from the definition, in deploy order. Rendered by
// `npm run synth` into deploy/aws/rendered/ (a cloud assembly `cdk deploy --app` reads as is).
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { EksDefinition } from '../model/definition';
import { AccessStack } from './access';
import { AlarmsStack } from './alarms';
import { BackupsStack } from './backups';
import { BillingStack } from './billing';
import { ChaosStack } from './chaos';
import { CacheStack } from './cache';
import { CiStack } from './ci';
import { ClusterStack } from './cluster';
import { DataStack } from './data';
import { DrCopyStack, DrRegionStack } from './dr';
import { EdgeStack } from './edge';
import { LambdaWorkersStack } from './lambda-workers';
import { MovePathStack } from './move-path';
import { NetworkStack } from './network';
import { QueuesStack } from './queues';
import { RegistryStack } from './registry';
import { checkAwsSettings } from './settings';

export const AWS_RENDERED = 'deploy/aws/rendered';

export interface AwsApp {
  app: App;
  /** In deploy order: each stack only needs those before it. */
  stacks: Stack[];
}

export interface AwsAppOptions {
  /**
   * Also the stacks of the definition as a whole: the public name's certificate, the release
   * pipeline's roles, the move path. Built with the EKS target that takes public traffic only.
   */
  definitionWide: boolean;
}

export function buildAwsApp(def: EksDefinition, outdir?: string, opts: AwsAppOptions = { definitionWide: true }): AwsApp {
  checkAwsSettings(def);
  // The rendered assembly must change only when the definition does: no analytics resource, no
  // tree.json, no stack traces (they hold checkout paths), no validation report. The templates are
  // validated by deploy/aws/templates.spec.ts instead, in strict mode.
  const app = new App({
    outdir,
    analyticsReporting: false,
    treeMetadata: false,
    builtinCloudFormationValidation: false,
    context: { 'aws:cdk:disable-stack-trace': true, 'aws:cdk:disable-creation-stack-traces': true },
  });
  const env = { account: def.target.accountId, region: def.target.region };
  const p = def.target.aws.stackPrefix;
  const props = (description: string) => ({ env, description: `${def.name}: ${description}` });
  const network = new NetworkStack(app, `${p}-network`, def, props('VPC over three AZs, subnets, NAT'));
  const cluster = new ClusterStack(app, `${p}-cluster`, def, network.vpc, props('EKS cluster, nodes, managed add-ons, access'));
  const clusterSg = cluster.cluster.attrClusterSecurityGroupId;
  const data = new DataStack(app, `${p}-data`, def, network.vpc, clusterSg, props('RDS PostgreSQL and read replicas'));
  // The broker: SQS queues and the payload bucket, or BullMQ's Redis on ElastiCache (then no queues, no bucket).
  const sqs = def.target.broker.kind === 'sqs';
  const queues = sqs ? new QueuesStack(app, `${p}-queues`, def, props('SQS lanes, DLQs, payload bucket')) : undefined;
  const cache = sqs ? undefined : new CacheStack(app, `${p}-cache`, def, network.vpc, clusterSg, props('ElastiCache Redis for BullMQ'));
  const access = new AccessStack(app, `${p}-access`, def, props('pod roles (EKS Pod Identity)'));
  // Pod Identity associations need the cluster; the roles name the queues and bucket, or the cache's secret.
  access.addStackDependency(cluster);
  access.addStackDependency((queues ?? cache)!);
  // Only when some lane runs on Lambda (SQS targets only): its functions need the proxy, the queues and the VPC.
  const workers = data.proxy && queues && new LambdaWorkersStack(app, `${p}-workers`, def, network.vpc, data.proxy, queues, props('Lambda workers: functions, roles, SQS event source mappings'));
  const registry = new RegistryStack(app, `${p}-registry`, def, props('ECR repository'));
  // The DR region's vault and bucket exist before anything replicates or copies into them.
  const dr = def.target.aws.dr && new DrRegionStack(app, `${p}-dr`, def, { ...props(`DR region: vault, KMS key, backups replica`), env: { ...env, region: def.target.aws.dr.region } });
  const backups = new BackupsStack(app, `${p}-backups`, def, props('database dump bucket'));
  const drCopy = dr && new DrCopyStack(app, `${p}-dr-copy`, def, data.primary.instanceArn, props('daily database snapshot copied to the DR region'));
  if (dr) [backups, drCopy!].forEach((s) => s.addStackDependency(dr));
  const edge = opts.definitionWide && new EdgeStack(app, `${p}-edge`, def, props("The ingest name's ACM certificate; npm run cutover drives its Route 53 records"));
  const billing = new BillingStack(app, `${p}-billing`, def, props('monthly budget and alerts'));
  const alarms = new AlarmsStack(app, `${p}-alarms`, def, data, props('CloudWatch alarms, dashboard, alert topic'));
  const chaos = new ChaosStack(app, `${p}-chaos`, def, network.vpc, data, props('FIS experiment templates for staging'));
  // Stop conditions name the alarms; the access entry needs the cluster.
  [alarms, cluster].forEach((s) => chaos.addStackDependency(s));
  const ci = opts.definitionWide && new CiStack(app, `${p}-ci`, def, network.vpc, clusterSg, props('GitHub OIDC provider, the release roles by duty, the VPC runners'));
  // Its access entries need the cluster; the roles name the repository.
  if (ci) [cluster, registry].forEach((s) => ci.addStackDependency(s));
  const stacks: Stack[] = [network, cluster, data, (queues ?? cache)!, access, ...(workers ? [workers] : []), registry, ...(dr ? [dr] : []), backups, ...(drCopy ? [drCopy] : []), ...(edge ? [edge] : []), billing, alarms, chaos, ...(ci ? [ci] : [])];
  if (def.movePath && opts.definitionWide) stacks.push(new MovePathStack(app, `${p}-move-path`, def, network.vpc, props('move path: Site-to-Site VPN to the Hetzner box (docs/move-path.md)')));
  return { app, stacks };
}

/** Metadata `trace` entries hold this checkout's paths; the deploy does not read them. */
function normalize(file: string, content: string): string {
  if (!file.endsWith('.metadata.json')) return content;
  const strip = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(strip)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'trace').map(([k, x]) => [k, strip(x)]))
        : v;
  return `${JSON.stringify(strip(JSON.parse(content)), null, 2)}\n`;
}

/** The cloud assembly's files (path under the repository -> content), synthesized in a scratch dir. */
export function renderAws(def: EksDefinition, dir = AWS_RENDERED, opts?: AwsAppOptions): Record<string, string> {
  const outdir = mkdtempSync(join(tmpdir(), 'spillway-cdk-'));
  try {
    buildAwsApp(def, outdir, opts).app.synth();
    // Asset directories (asset.<hash>/, the Lambda bundle) are build output: deploy:aws stages them.
    const files = readdirSync(outdir)
      .filter((f) => !statSync(join(outdir, f)).isDirectory())
      .sort();
    return Object.fromEntries(files.map((f) => [`${dir}/${f}`, normalize(f, readFileSync(join(outdir, f), 'utf8'))]));
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * Copies the assembly's asset directories (asset.<hash>/: the Lambda bundle) into the rendered
 * folder, git-ignored, so `cdk deploy --app deploy/aws/rendered` can publish them; synth commits
 * only the manifests that name them. Throws when a committed manifest names an asset this checkout
 * does not build (the worker code changed since the last `npm run synth`).
 */
export function stageAwsAssets(def: EksDefinition, root: string): string[] {
  const outdir = mkdtempSync(join(tmpdir(), 'spillway-cdk-'));
  const rendered = join(root, AWS_RENDERED);
  try {
    buildAwsApp(def, outdir).app.synth();
    const staged = readdirSync(outdir).filter((f) => f.startsWith('asset.') && statSync(join(outdir, f)).isDirectory());
    for (const dir of staged) cpSync(join(outdir, dir), join(rendered, dir), { recursive: true });
    const missing = readdirSync(rendered)
      .filter((f) => f.endsWith('.assets.json'))
      .flatMap((f) => Object.values((JSON.parse(readFileSync(join(rendered, f), 'utf8')) as { files?: Record<string, { source: { path: string } }> }).files ?? {}))
      .map((a) => a.source.path)
      .filter((path) => path.startsWith('asset.') && !existsSync(join(rendered, path)));
    if (missing.length) throw new Error(`${AWS_RENDERED} names assets this checkout does not build (${missing.join(', ')}): run \`npm run synth\` and commit`);
    return staged.sort();
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
