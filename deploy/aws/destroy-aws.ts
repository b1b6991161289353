// `npm run destroy:aws [-- --dry-run] [--lift-deletion-protection]`: takes the platform down in an
// order AWS accepts. The Ingress goes first and the command waits for the load balancer controller
// to delete the ALB and its security groups (made outside CloudFormation, they sit in the VPC's
// subnets and would make the network stack's deletion fail); then `cdk destroy` stack by stack, in
// the reverse of deploy:aws's order. What is kept on purpose is listed with how to remove it.
import { Runner, spawnRunner } from '../command-runner';
import { EksDefinition } from '../model/definition';
import { spillway } from '../spillway';
import { eksDefinition } from '../model/targets';
import { AWS_RENDERED } from './app';
import { payloadBucketName } from './queues';
import { hasAwsCredentials, stackNames } from './deploy-aws';

const eks = eksDefinition(spillway);

const FLAGS = ['--dry-run', '--lift-deletion-protection', '--help', '-h'];
/** The tag the AWS Load Balancer Controller puts on the ALBs and security groups it makes. */
export const CONTROLLER_TAG = 'elbv2.k8s.aws/cluster';

export interface DestroyClock {
  now(): number;
  sleep(ms: number): void;
}

const realClock: DestroyClock = {
  now: () => Date.now(),
  sleep: (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms),
};

export interface DestroyOptions {
  waitS: number;
  pollS: number;
}

/** The commands, in order: each one a program and its arguments. */
export function destroyCommands(def: EksDefinition) {
  const { cluster, namespace, region } = def.target;
  const filter = `Name=tag:${CONTROLLER_TAG},Values=${cluster}`;
  return {
    deleteIngress: ['kubectl', '--namespace', namespace, 'delete', 'ingress', '--all', '--ignore-not-found', '--wait=true', '--timeout=120s'],
    listLoadBalancers: [
      'aws', 'resourcegroupstaggingapi', 'get-resources', '--region', region, '--resource-type-filters', 'elasticloadbalancing:loadbalancer',
      '--tag-filters', `Key=${CONTROLLER_TAG},Values=${cluster}`, '--query', 'ResourceTagMappingList[].ResourceARN', '--output', 'text',
    ],
    listSecurityGroups: ['aws', 'ec2', 'describe-security-groups', '--region', region, '--filters', filter, '--query', 'SecurityGroups[].GroupId', '--output', 'text'],
    listDatabases: (stack: string) => [
      'aws', 'cloudformation', 'describe-stack-resources', '--region', region, '--stack-name', stack,
      '--query', "StackResources[?ResourceType=='AWS::RDS::DBInstance'].PhysicalResourceId", '--output', 'text',
    ],
    liftProtection: (db: string) => ['aws', 'rds', 'modify-db-instance', '--region', region, '--db-instance-identifier', db, '--no-deletion-protection', '--apply-immediately'],
    destroyStack: (stack: string) => ['npx', 'cdk', 'destroy', stack, '--force', '--app', AWS_RENDERED],
  };
}

/** What destroy:aws leaves behind on purpose, and the command that removes each. */
export function keptResources(def: EksDefinition): string[] {
  const { cluster, region } = def.target;
  const a = def.target.aws;
  const lines = [
    `ECR repository ${a.registry.repository} and its images (retained): aws ecr delete-repository --region ${region} --repository-name ${a.registry.repository} --force`,
    `backups bucket s3://${a.backups.bucket} (retained, versioned): delete every object version (aws s3api list-object-versions / delete-objects, or "Empty" in the console), then aws s3 rb s3://${a.backups.bucket}`,
    `claim-check bucket s3://${payloadBucketName(def)} (retained; its objects expire by themselves): aws s3 rb s3://${payloadBucketName(def)} --force`,
    `KMS keys (the cluster's Secrets key, the alarm topic's key${a.dr ? ', the DR key' : ''}; retained so old snapshots and backups stay readable): aws kms schedule-key-deletion --region ${region} --key-id <id> --pending-window-in-days 7 (aws kms list-keys; each key's description names it)`,
    `final database snapshots (made when the database stack goes): aws rds describe-db-snapshots --region ${region} --snapshot-type manual, then aws rds delete-db-snapshot --region ${region} --db-snapshot-identifier <id>`,
    `log groups (/aws/eks/${cluster}/cluster, /aws/containerinsights/${cluster}/*, /aws/rds/instance/*, /aws/lambda/*): aws logs describe-log-groups --region ${region}, then aws logs delete-log-group --region ${region} --log-group-name <name>`,
  ];
  if (a.dr) lines.push(`DR vault and replica bucket in ${a.dr.region} (retained): delete its recovery points (aws backup list-recovery-points-by-backup-vault / delete-recovery-point), then aws backup delete-backup-vault and empty + remove the bucket`);
  return lines;
}

const help = (def: EksDefinition) => `Usage: npm run destroy:aws [-- --dry-run] [--lift-deletion-protection]

Takes down what deploy:aws made, in an order AWS accepts:
  1. kubectl delete ingress --all in namespace ${def.target.namespace}, then wait (up to 15 min, with
     progress) until the load balancer controller has deleted the ALB and its security groups
     (tag ${CONTROLLER_TAG}=${def.target.cluster}): they would block the VPC's deletion;
  2. npx cdk destroy, one stack at a time: ${stackNames(def).reverse().join(', ')}.
The database has deletion protection${def.target.aws.database.deletionProtection ? '' : ' (off in this definition)'}: it is lifted only with --lift-deletion-protection.
Kept on purpose, with how to remove each: ECR images, the backups bucket, KMS keys, final
snapshots, log groups.

  --dry-run                   print every command and what is kept; run nothing
  --lift-deletion-protection  turn the database's deletion protection off before its stack goes
  --help                      this text`;

export function destroyAws(
  args: string[],
  run: Runner = spawnRunner,
  log: (l: string) => void = console.log,
  credentials: () => boolean = hasAwsCredentials,
  clock: DestroyClock = realClock,
  o: DestroyOptions = { waitS: 900, pollS: 15 },
  def: EksDefinition = eks,
): number {
  if (args.includes('--help') || args.includes('-h')) {
    log(help(def));
    return 0;
  }
  const unknown = args.filter((a) => !FLAGS.includes(a));
  if (unknown.length) {
    log(`destroy:aws: unknown option ${unknown.join(' ')}; see --help`);
    return 2;
  }
  const dry = args.includes('--dry-run');
  const lift = args.includes('--lift-deletion-protection');
  const c = destroyCommands(def);
  const stacks = stackNames(def).reverse();
  const dataStack = `${def.target.aws.stackPrefix}-data`;
  const show = (cmd: string[]) => cmd.join(' ');
  const protectedDb = def.target.aws.database.deletionProtection && !lift;
  if (protectedDb && !dry) {
    log('destroy:aws: the database has deletion protection (aws.database.deletionProtection); pass --lift-deletion-protection to delete it (a final snapshot is kept); nothing deleted');
    return 1;
  }
  if (dry) {
    log(`destroy:aws --dry-run: would run, in order:`);
    if (protectedDb) log('  (without --lift-deletion-protection it stops here, deleting nothing: the database has deletion protection)');
    log(`  ${show(c.deleteIngress)}`);
    log(`  wait up to ${o.waitS} s until these list nothing: ${show(c.listLoadBalancers)} ; ${show(c.listSecurityGroups)}`);
    if (lift) log(`  for each database of ${dataStack} (${show(c.listDatabases(dataStack))}): ${show(c.liftProtection('<id>'))}`);
    for (const s of stacks) log(`  ${show(c.destroyStack(s))}`);
    log('kept (remove by hand when sure):');
    for (const k of keptResources(def)) log(`  ${k}`);
    return 0;
  }
  if (!credentials()) {
    log('destroy:aws: no AWS credentials found; set AWS_PROFILE (or run `aws configure sso`) and run again');
    return 1;
  }
  const exec = (cmd: string[]) => {
    const [p, ...rest] = cmd;
    return run(p, rest);
  };
  const failed = (what: string, r: { status: number | null; stderr: string; error?: Error }) =>
    `${what} failed (${r.error ? r.error.message : `exit ${r.status}: ${r.stderr.trim().split('\n').at(-1) ?? ''}`})`;

  const ingress = exec(c.deleteIngress);
  if (ingress.status !== 0) {
    log(`destroy:aws: ${failed('deleting the Ingress', ingress)}; nothing else deleted (is kubectl pointed at ${def.target.cluster}? aws eks update-kubeconfig --name ${def.target.cluster})`);
    return 1;
  }
  log(`destroy:aws: Ingress deleted in ${def.target.namespace}; waiting for the load balancer controller to remove the ALB and its security groups`);
  const started = clock.now();
  for (;;) {
    const lbs = exec(c.listLoadBalancers);
    const sgs = exec(c.listSecurityGroups);
    if (lbs.status !== 0 || sgs.status !== 0) {
      log(`destroy:aws: ${failed('listing the controller\'s load balancers and security groups', lbs.status !== 0 ? lbs : sgs)}; no stack deleted`);
      return 1;
    }
    const left = [...lbs.stdout.split(/\s+/), ...sgs.stdout.split(/\s+/)].filter((x) => x && x !== 'None');
    const waited = Math.round((clock.now() - started) / 1000);
    if (!left.length) break;
    if (waited >= o.waitS) {
      log(`destroy:aws: the load balancer controller did not remove ${left.join(', ')} within ${o.waitS} s (see kubectl -n kube-system logs deploy/aws-load-balancer-controller); no stack deleted`);
      return 1;
    }
    log(`destroy:aws: still there after ${waited} s of ${o.waitS}: ${left.join(', ')}`);
    clock.sleep(o.pollS * 1000);
  }
  log('destroy:aws: the ALB and its security groups are gone');
  if (lift) {
    const dbs = exec(c.listDatabases(dataStack));
    if (dbs.status !== 0) {
      log(`destroy:aws: ${failed(`listing ${dataStack}'s databases`, dbs)}; no stack deleted`);
      return 1;
    }
    for (const db of dbs.stdout.split(/\s+/).filter((x) => x && x !== 'None')) {
      const r = exec(c.liftProtection(db));
      if (r.status !== 0) {
        log(`destroy:aws: ${failed(`lifting deletion protection on ${db}`, r)}; no stack deleted`);
        return 1;
      }
      log(`destroy:aws: deletion protection lifted on ${db}`);
    }
  }
  for (const s of stacks) {
    log(`destroy:aws: ${show(c.destroyStack(s))}`);
    const [p, ...rest] = c.destroyStack(s);
    const r = run(p, rest, { inherit: true });
    if (r.status !== 0) {
      log(`destroy:aws: ${failed(`cdk destroy ${s}`, r)}; stopped there, the stacks after it in this list are still up; fix and run again`);
      return 1;
    }
  }
  log('destroy:aws: every stack deleted. Kept (remove by hand when sure):');
  for (const k of keptResources(def)) log(`  ${k}`);
  return 0;
}

if (require.main === module) process.exitCode = destroyAws(process.argv.slice(2));
