// IAM, offline: every call each role really makes (iam-calls.ts) evaluated against the policies in
// the rendered templates (what deploys) by @cloud-copilot/iam-simulate, conditions and context keys
// included. The Load Balancer Controller's calls also run against upstream's own policy (a dated
// fixture) to calibrate the call list: a call upstream refuses is a call modelled wrong.
// iam-simulate is AGPL-3.0: a devDependency used by this spec only, never by shipped code.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import { ROOT } from '../outputs';
import { spillway as definition } from '../spillway';
import { eksDefinition, targetDefinition } from '../model/targets';
import { withBullmq } from '../test-targets';
import { AWS_RENDERED, renderAws } from './app';
import { Calls, IamCall } from './iam-calls';
import { PolicyDocument, RenderedAssembly, RenderedRole } from './iam-templates';

const spillway = eksDefinition(definition);

const { region, accountId } = spillway.target;
const asm = new RenderedAssembly(join(ROOT, AWS_RENDERED), region, accountId);
const calls = new Calls(asm, spillway);
const p = spillway.target.aws.stackPrefix;
const upstream = JSON.parse(readFileSync(join(__dirname, 'fixtures/lb-controller-iam-policy.json'), 'utf8')) as { policy: PolicyDocument };

const DEFAULT_KEY_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: 'kms:*', Resource: '*' }],
};

/** IAM's answer for one call under these identity policies: Allowed, ImplicitlyDenied or ExplicitlyDenied. */
async function decide(policies: Array<{ name: string; policy: PolicyDocument }>, call: IamCall): Promise<string> {
  const simulation = {
    identityPolicies: policies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    // KMS needs the key's own policy to allow too: the default key policy, which delegates to IAM.
    ...(call.action.startsWith('kms:') ? { resourcePolicy: DEFAULT_KEY_POLICY } : {}),
    request: {
      action: call.action,
      principal: `arn:aws:sts::${accountId}:assumed-role/caller/session`,
      resource: { accountId, resource: call.resource },
      contextVariables: call.context ?? {},
    },
  };
  const r = await runSimulation(simulation as Parameters<typeof runSimulation>[0], {});
  if (r.resultType !== 'error') return r.overallResult;
  // iam-data lists Elastic Load Balancing v1's resource types for the actions both ELB versions
  // share (AddTags, CreateLoadBalancer, DeleteLoadBalancer...), so v2 ARNs fail its input
  // validation; the evaluation itself (actions, resources, conditions) is the same without it.
  if (call.action.startsWith('elasticloadbalancing:') && JSON.stringify(r.errors).includes('no.resource.types')) {
    return runUnsafeSimulation(simulation as Parameters<typeof runUnsafeSimulation>[0], {}) as unknown as string;
  }
  throw new Error(`iam-simulate refused ${call.action} on ${call.resource}: ${JSON.stringify(r.errors)}`);
}

/** The calls these policies do not allow, one line each. */
async function refused(policies: Array<{ name: string; policy: PolicyDocument }>, list: IamCall[]): Promise<string[]> {
  const out: string[] = [];
  for (const call of list) {
    const result = await decide(policies, call);
    if (result !== 'Allowed') out.push(`${call.does}: ${call.action} on ${call.resource} -> ${result}`);
  }
  return out;
}

function role(stack: string, prefix: string): RenderedRole {
  const found = asm.roles().find((r) => r.stack === `${p}-${stack}` && r.logicalId.startsWith(prefix));
  if (!found) throw new Error(`no role ${prefix}* in ${p}-${stack}`);
  return found;
}

/** The lanes whose worker runs on Lambda, from the workers stack's roles. */
function lambdaLanes(): string[] {
  return asm.roles().filter((r) => r.stack === `${p}-workers`).map((r) => /^(\w+?)Role[0-9A-F]{8}$/.exec(r.logicalId)?.[1]).filter((l): l is string => !!l);
}

/** Roles GitHub's OIDC tokens assume (the CI stack may render one or several). */
const ciRoles = () => asm.roles().filter((r) => r.stack === `${p}-ci` && JSON.stringify(r.trust).includes('sts:AssumeRoleWithWebIdentity'));

describe('IAM, offline: each role can make the calls it makes, and no more', () => {
  const cases: Array<[string, () => RenderedRole, () => IamCall[]]> = [
    ['absorber: SQS lanes, payload bucket', () => role('access', 'Absorber'), () => calls.absorber()],
    ['worker: SQS lanes and DLQs, payload bucket', () => role('access', 'Worker'), () => calls.worker()],
    ['KEDA: queue depth', () => role('access', 'Keda'), () => calls.keda()],
    ['External Secrets: the app secrets', () => role('access', 'ExternalSecrets'), () => calls.externalSecrets()],
    ['Cluster Autoscaler: its node group', () => role('access', 'ClusterAutoscaler'), () => calls.clusterAutoscaler()],
    ['Load Balancer Controller: create, tag, target, delete an ALB', () => role('access', 'LoadBalancerController'), () => calls.loadBalancerController()],
    ['FIS: the five experiments', () => role('chaos', 'FisRole'), () => calls.fis()],
    // One role per Lambda lane (lambda-workers.ts names them <lane>Role).
    ...lambdaLanes().map((lane): [string, () => RenderedRole, () => IamCall[]] => [`Lambda lane ${lane}: queue, DLQ, payloads, logs, VPC, proxy`, () => role('workers', `${lane}Role`), () => calls.lambdaLane(lane)]),
  ];

  it('finds a Lambda lane role to check', () => expect(lambdaLanes()).toEqual(['low']));

  it.each(cases)('%s', async (_, r, list) => {
    expect(await refused(r().policies, list())).toEqual([]);
  });

  it('the CI roles: together they push, promote and find the cluster', async () => {
    const roles = ciRoles();
    expect(roles.length).toBeGreaterThan(0);
    const missing: string[] = [];
    for (const call of calls.ci()) {
      const answers = await Promise.all(roles.map((r) => decide(r.policies, call)));
      if (!answers.includes('Allowed')) missing.push(`${call.does}: ${call.action} on ${call.resource}`);
    }
    expect(missing).toEqual([]);
  });

  it('least privilege: what each role must not do is refused', async () => {
    const other = (c: IamCall, change: Partial<IamCall>): IamCall => ({ ...c, ...change });
    const lb = calls.loadBalancerController();
    const find = (list: IamCall[], does: string) => list.find((c) => c.does === does)!;
    const foreignTag = { 'aws:ResourceTag/elbv2.k8s.aws/cluster': 'someone-else' };
    const checks: Array<[RenderedRole, IamCall]> = [
      [role('access', 'Absorber'), { does: 'consume', action: 'sqs:ReceiveMessage', resource: `arn:aws:sqs:${region}:${accountId}:${calls.queues.lanes[0]}` }],
      [role('access', 'Worker'), { does: 'read another bucket', action: 's3:GetObject', resource: 'arn:aws:s3:::someone-elses-bucket/x' }],
      [role('access', 'ExternalSecrets'), { does: 'read another secret', action: 'secretsmanager:GetSecretValue', resource: `arn:aws:secretsmanager:${region}:${accountId}:secret:prod/other-AbC123` }],
      [role('access', 'LoadBalancerController'), other(find(lb, 'delete the load balancer'), { does: "delete another cluster's ALB", context: foreignTag })],
      [role('access', 'LoadBalancerController'), other(find(lb, 'tag the new listener'), { does: "tag a listener for another cluster", context: { 'aws:RequestTag/elbv2.k8s.aws/cluster': 'someone-else', 'aws:TagKeys': ['elbv2.k8s.aws/cluster'], 'elasticloadbalancing:CreateAction': 'CreateListener' } })],
      [role('access', 'LoadBalancerController'), other(find(lb, 'tag the new listener'), { does: 'tag an existing untagged listener', context: { 'aws:RequestTag/elbv2.k8s.aws/cluster': spillway.target.cluster, 'aws:TagKeys': ['elbv2.k8s.aws/cluster'] } })],
      [role('access', 'LoadBalancerController'), other(find(lb, 'create the ALB security group (the group)'), { does: 'create an untagged security group', context: {} })],
      [role('chaos', 'FisRole'), other(find(calls.fis(), 'disrupt-connectivity: remove the ACL'), { does: "delete an ACL FIS did not make", context: {} })],
      [role('chaos', 'FisRole'), other(find(calls.fis(), 'disrupt-connectivity: create the deny-all ACL (the ACL)'), { does: 'create an untagged ACL', context: {} })],
      [role('chaos', 'FisRole'), other(find(calls.fis(), 'stop-instances: stop a node'), { does: 'stop an instance of another cluster', context: { 'aws:ResourceTag/eks:cluster-name': 'other' } })],
      [role('chaos', 'FisRole'), other(find(calls.fis(), 'stop-instances: start a node whose EBS volume uses a customer-managed key'), { does: 'grant on a key for itself', context: { 'kms:GrantIsForAWSResource': 'false' } })],
    ];
    const allowed: string[] = [];
    for (const [r, call] of checks) if ((await decide(r.policies, call)) === 'Allowed') allowed.push(`${r.logicalId}: ${call.does}`);
    expect(allowed).toEqual([]);
    for (const r of ciRoles()) {
      const push = { does: 'push elsewhere', action: 'ecr:PutImage', resource: `arn:aws:ecr:${region}:${accountId}:repository/another` };
      expect(await decide(r.policies, push)).not.toBe('Allowed');
    }
  });

  it("calibration: upstream's own policy allows every controller call (the call list is what the controller does)", async () => {
    // Upstream names the cluster tag without its value: our calls carry the same keys.
    expect(await refused([{ name: 'upstream', policy: upstream.policy }], calls.loadBalancerController())).toEqual([]);
  });

  it('sees a bucket encrypted with a KMS key: S3 then calls KMS as the absorber, and its role must allow that (it can fail)', async () => {
    const kms = new Calls(asm, spillway);
    Object.assign(kms.bucket, { kmsKey: `arn:aws:kms:${region}:${accountId}:key/1234abcd-12ab-34cd-56ef-1234567890ab` });
    expect(await refused(role('access', 'Absorber').policies, kms.absorber())).toEqual([
      `claim-check a large payload: S3 uses the bucket's key: kms:GenerateDataKey on arn:aws:kms:${region}:${accountId}:key/1234abcd-12ab-34cd-56ef-1234567890ab -> ImplicitlyDenied`,
    ]);
  });
});

// An EKS target on BullMQ (deploy/test-targets.ts): its pods reach only Redis, so their roles may do
// nothing in AWS; External Secrets reads the app's secret and the cache's connection secret, never
// the AUTH token's own. Rendered here (one CDK synth of that target), read back like the shipped one.
describe('IAM, offline: an EKS target on BullMQ', () => {
  const view = targetDefinition(withBullmq(), 'bullmq', 'eks');
  const bp = view.target.aws.stackPrefix;
  let dir: string;
  let bull: RenderedAssembly;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'spillway-iam-bullmq-'));
    for (const [path, text] of Object.entries(renderAws(view, 'aws', { definitionWide: false }))) writeFileSync(join(dir, path.slice(4)), text);
    bull = new RenderedAssembly(dir, region, accountId);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const bullRole = (prefix: string) => bull.roles().find((r) => r.stack === `${bp}-access` && r.logicalId.startsWith(prefix));
  const secretArn = (name: string) => `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-AbC123`;
  const cacheSecrets = () => bull.ofType(`${bp}-cache`, 'AWS::SecretsManager::Secret').map((id) => bull.physicalId(`${bp}-cache`, id)).sort();

  it('the pod roles are denied SQS and S3 (they hold no policy), and KEDA has no AWS role', async () => {
    // The SQS twin's names: what these roles would need if they still sent to SQS.
    const queue = `arn:aws:sqs:${region}:${accountId}:${bp}-critical.fifo`;
    const object = `arn:aws:s3:::${bp}-payloads-${accountId}/payloads/0f4c1a.json`;
    for (const name of ['Absorber', 'Worker']) {
      const r = bullRole(name)!;
      expect(r.policies).toEqual([]);
      expect(await decide(r.policies, { does: 'enqueue', action: 'sqs:SendMessage', resource: queue })).not.toBe('Allowed');
      expect(await decide(r.policies, { does: 'read a payload', action: 's3:GetObject', resource: object })).not.toBe('Allowed');
    }
    expect(bullRole('Keda')).toBeUndefined();
  });

  it('External Secrets reads the app secret and the connection secret, and not the AUTH token secret', async () => {
    expect(cacheSecrets()).toEqual([`${bp}/cache-auth-token`, `${bp}/redis`]);
    const eso = bullRole('ExternalSecrets')!;
    expect(await refused(eso.policies, new Calls(bull, view).externalSecrets())).toEqual([]);
    const read = (name: string) => decide(eso.policies, { does: `read ${name}`, action: 'secretsmanager:GetSecretValue', resource: secretArn(name) });
    expect(await read(`${bp}/redis`)).toBe('Allowed');
    expect(await read(`${bp}/cache-auth-token`)).not.toBe('Allowed');
    expect(await read('spillway/redis')).not.toBe('Allowed');
  });
});
