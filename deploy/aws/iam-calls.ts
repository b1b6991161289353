// The AWS calls each role really makes, as IAM authorizes them: action, resource ARN and the
// request's context keys (tags on create, the resource's own tags, the creating action). The
// rendered policies must allow every one (iam-simulate.spec.ts). Names and ARNs come from the
// rendered templates (RenderedAssembly) and the definition, so a renamed queue moves both sides.
// Multi-resource actions (CreateSecurityGroup, CreateNetworkAcl, CreateListener...) are one call
// per resource, each with the keys IAM sets for that resource type.
import { EksDefinition } from '../model/definition';
import { redisSecretKey } from '../model/redis';
import { RenderedAssembly } from './iam-templates';

export interface IamCall {
  /** What the caller is doing, for the failure message. */
  does: string;
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
}

const CLUSTER_TAG = 'elbv2.k8s.aws/cluster';

/** Queue names from the queues stack: the lanes and their DLQs. */
export function queues(asm: RenderedAssembly, stack: string): { lanes: string[]; dlqs: string[] } {
  const names = asm.ofType(stack, 'AWS::SQS::Queue').map((id) => asm.physicalId(stack, id));
  const dlq = (n: string) => /-dlq(\.fifo)?$/.test(n);
  return { lanes: names.filter((n) => !dlq(n)), dlqs: names.filter(dlq) };
}

/** The payload bucket and, when it is encrypted with a KMS key, that key's ARN. */
export function payloadBucket(asm: RenderedAssembly, stack: string): { name: string; kmsKey?: string } {
  const [id] = asm.ofType(stack, 'AWS::S3::Bucket');
  const props = asm.resource(stack, id).Properties as { BucketEncryption?: { ServerSideEncryptionConfiguration: Array<{ ServerSideEncryptionByDefault: { SSEAlgorithm: string; KMSMasterKeyID?: unknown } }> } };
  const sse = props.BucketEncryption?.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault;
  const key = sse?.SSEAlgorithm.startsWith('aws:kms') ? (asm.resolve(stack, sse.KMSMasterKeyID) as string | undefined) : undefined;
  // No key id with aws:kms means the AWS-managed aws/s3 key, which needs no grant in the role.
  return { name: asm.physicalId(stack, id), kmsKey: key?.startsWith('arn:') ? key : key && `arn:aws:kms:${asm.region}:${asm.account}:key/${key}` };
}

export class Calls {
  private readonly arn: (service: string, resource: string) => string;
  readonly queues: { lanes: string[]; dlqs: string[] };
  readonly bucket: { name: string; kmsKey?: string };

  constructor(
    private readonly asm: RenderedAssembly,
    private readonly def: EksDefinition,
  ) {
    const p = def.target.aws.stackPrefix;
    this.arn = (service, resource) => `arn:aws:${service}:${asm.region}:${asm.account}:${resource}`;
    // A target on BullMQ has no queues stack: its pods make no SQS or S3 call.
    const sqs = `${p}-queues` in asm.templates;
    this.queues = sqs ? queues(asm, `${p}-queues`) : { lanes: [], dlqs: [] };
    this.bucket = sqs ? payloadBucket(asm, `${p}-queues`) : { name: '' };
  }

  private sqs(actions: string[], names: string[], does: string): IamCall[] {
    return names.flatMap((q) => actions.map((action) => ({ does: `${does} (${q})`, action, resource: this.arn('sqs', q) })));
  }

  /** S3 calls on one payload object, with the KMS calls S3 makes on the caller's behalf when the bucket uses a key. */
  private payload(action: 's3:PutObject' | 's3:GetObject', does: string): IamCall[] {
    const object = { does, action, resource: `arn:aws:s3:::${this.bucket.name}/payloads/0f4c1a.json` };
    if (!this.bucket.kmsKey) return [object];
    const via = { 'kms:ViaService': `s3.${this.asm.region}.amazonaws.com` };
    const kms = action === 's3:PutObject' ? ['kms:GenerateDataKey'] : ['kms:Decrypt'];
    return [object, ...kms.map((a) => ({ does: `${does}: S3 uses the bucket's key`, action: a, resource: this.bucket.kmsKey!, context: via }))];
  }

  absorber(): IamCall[] {
    return [
      ...this.sqs(['sqs:GetQueueUrl', 'sqs:GetQueueAttributes', 'sqs:SendMessage'], this.queues.lanes, 'enqueue an event'),
      ...this.sqs(['sqs:GetQueueAttributes'], this.queues.dlqs, 'report DLQ depth'),
      ...this.payload('s3:PutObject', 'claim-check a large payload'),
    ];
  }

  worker(): IamCall[] {
    const all = [...this.queues.lanes, ...this.queues.dlqs];
    return [
      ...this.sqs(['sqs:GetQueueUrl', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'], this.queues.lanes, 'consume a lane'),
      ...this.sqs(['sqs:SendMessage'], all, 're-send with delay, or dead-letter'),
      ...this.sqs(['sqs:GetQueueAttributes'], all, 'read depth'),
      ...this.payload('s3:GetObject', 'read a claim-checked payload'),
    ];
  }

  keda(): IamCall[] {
    return this.sqs(['sqs:GetQueueAttributes'], this.queues.lanes, 'scale on queue depth');
  }

  externalSecrets(): IamCall[] {
    const app = this.def.services.flatMap((s) => s.secrets).map((n) => this.def.secrets[n].remoteKey);
    // On BullMQ also the cache's connection secret (REDIS_URL, and KEDA's address and password).
    const keys = [...new Set([...app, ...(this.def.target.broker.kind === 'bullmq' ? [redisSecretKey(this.def)] : [])])];
    // Secrets Manager appends six random characters to every secret's ARN.
    return keys.flatMap((k) =>
      ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'].map((action) => ({ does: `sync ${k}`, action, resource: this.arn('secretsmanager', `secret:${k}-AbC123`) })),
    );
  }

  clusterAutoscaler(): IamCall[] {
    const cluster = this.def.target.cluster;
    const asg = this.arn('autoscaling', 'autoScalingGroup:6b1f0c2e-1111-2222-3333-444455556666:autoScalingGroupName/eks-general-1234');
    const owned = { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${cluster}`]: 'owned' };
    return [
      { does: 'discover node groups', action: 'autoscaling:DescribeAutoScalingGroups', resource: '*' },
      { does: 'read instance types', action: 'ec2:DescribeInstanceTypes', resource: '*' },
      { does: 'scale the node group', action: 'autoscaling:SetDesiredCapacity', resource: asg, context: owned },
      { does: 'remove an empty node', action: 'autoscaling:TerminateInstanceInAutoScalingGroup', resource: asg, context: owned },
    ];
  }

  /**
   * The AWS Load Balancer Controller's documented flows for one Ingress (docs/deploy/configurations
   * upstream): security group, load balancer, target group, listener, rule, each created with the
   * cluster's tags; then targets, attributes and tag changes on its own resources; then delete.
   */
  loadBalancerController(): IamCall[] {
    const cluster = this.def.target.cluster;
    const vpc = this.vpcArn();
    const tags = { [CLUSTER_TAG]: cluster, 'ingress.k8s.aws/stack': `${this.def.target.namespace}/absorber`, 'ingress.k8s.aws/resource': 'LoadBalancer' };
    const requestTags = { ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])), 'aws:TagKeys': Object.keys(tags) };
    const own = Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
    const elb = (resource: string) => this.arn('elasticloadbalancing', resource);
    const lb = elb('loadbalancer/app/spillway-absorber/0123456789abcdef');
    const tg = elb('targetgroup/k8s-spillway-absorber-7d1c/0123456789abcdef');
    const listener = elb('listener/app/spillway-absorber/0123456789abcdef/fedcba9876543210');
    const rule = elb('listener-rule/app/spillway-absorber/0123456789abcdef/fedcba9876543210/0011223344556677');
    const sg = this.arn('ec2', 'security-group/sg-0123456789abcdef0');
    const c = (does: string, action: string, resource: string, context?: Record<string, string | string[]>): IamCall => ({ does, action, resource, ...(context ? { context } : {}) });
    return [
      c('create the service-linked role once', 'iam:CreateServiceLinkedRole', `arn:aws:iam::${this.asm.account}:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing`, { 'iam:AWSServiceName': 'elasticloadbalancing.amazonaws.com' }),
      ...['ec2:DescribeVpcs', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups', 'ec2:DescribeInstances', 'ec2:DescribeAvailabilityZones', 'elasticloadbalancing:DescribeLoadBalancers', 'elasticloadbalancing:DescribeTargetGroups', 'elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTags', 'elasticloadbalancing:DescribeTargetHealth', 'acm:ListCertificates', 'acm:DescribeCertificate', 'wafv2:GetWebACLForResource', 'shield:GetSubscriptionState'].map((a) => c('read the current state', a, '*')),
      // Security group: authorized on the new group and on the VPC it goes into.
      c('create the ALB security group (the group)', 'ec2:CreateSecurityGroup', sg, requestTags),
      c('create the ALB security group (its VPC)', 'ec2:CreateSecurityGroup', vpc),
      c('tag the new security group', 'ec2:CreateTags', sg, { ...requestTags, 'ec2:CreateAction': 'CreateSecurityGroup' }),
      c('open the listener ports', 'ec2:AuthorizeSecurityGroupIngress', sg, own),
      c('let the ALB reach the pods (node security group)', 'ec2:AuthorizeSecurityGroupIngress', this.arn('ec2', 'security-group/sg-0fedcba9876543210')),
      // Load balancer and target group: created with tags.
      c('create the load balancer', 'elasticloadbalancing:CreateLoadBalancer', lb, requestTags),
      c('tag the new load balancer', 'elasticloadbalancing:AddTags', lb, { ...requestTags, 'elasticloadbalancing:CreateAction': 'CreateLoadBalancer' }),
      c('set the load balancer attributes', 'elasticloadbalancing:ModifyLoadBalancerAttributes', lb, own),
      c('create the target group', 'elasticloadbalancing:CreateTargetGroup', tg, requestTags),
      c('tag the new target group', 'elasticloadbalancing:AddTags', tg, { ...requestTags, 'elasticloadbalancing:CreateAction': 'CreateTargetGroup' }),
      c('set deregistration delay', 'elasticloadbalancing:ModifyTargetGroupAttributes', tg, own),
      // Listener and rule: created on the tagged load balancer / listener, and tagged on create.
      c('create the HTTPS listener', 'elasticloadbalancing:CreateListener', lb, { ...requestTags, ...own }),
      c('tag the new listener', 'elasticloadbalancing:AddTags', listener, { ...requestTags, 'elasticloadbalancing:CreateAction': 'CreateListener' }),
      c('change the listener certificate', 'elasticloadbalancing:ModifyListener', listener, own),
      c('create the weighted forward rule', 'elasticloadbalancing:CreateRule', listener, { ...requestTags, ...own }),
      c('tag the new rule', 'elasticloadbalancing:AddTags', rule, { ...requestTags, 'elasticloadbalancing:CreateAction': 'CreateRule' }),
      c('change the weights (cutover)', 'elasticloadbalancing:ModifyRule', rule, own),
      // Targets and tag changes on its own resources.
      c('register pod IPs', 'elasticloadbalancing:RegisterTargets', tg, own),
      c('deregister pod IPs', 'elasticloadbalancing:DeregisterTargets', tg, own),
      c('update the load balancer tags', 'elasticloadbalancing:AddTags', lb, { ...own, 'aws:RequestTag/ingress.k8s.aws/stack': 'spillway/absorber', 'aws:TagKeys': ['ingress.k8s.aws/stack'] }),
      c('remove a stale tag', 'elasticloadbalancing:RemoveTags', tg, { ...own, 'aws:TagKeys': ['ingress.k8s.aws/stale'] }),
      // Delete, in the controller's order.
      c('delete the rule', 'elasticloadbalancing:DeleteRule', rule, own),
      c('delete the listener', 'elasticloadbalancing:DeleteListener', listener, own),
      c('delete the load balancer', 'elasticloadbalancing:DeleteLoadBalancer', lb, own),
      c('delete the target group', 'elasticloadbalancing:DeleteTargetGroup', tg, own),
      c('close the listener ports', 'ec2:RevokeSecurityGroupIngress', sg, own),
      c('delete the security group', 'ec2:DeleteSecurityGroup', sg, own),
    ];
  }

  /** The FIS experiments of chaos.ts, as the FIS role makes their calls. */
  fis(): IamCall[] {
    const { cluster } = this.def.target;
    const p = this.def.target.aws.stackPrefix;
    const primary = this.asm.physicalId(`${p}-data`, this.asm.ofType(`${p}-data`, 'AWS::RDS::DBInstance')[0]);
    const acl = this.arn('ec2', 'network-acl/acl-0123456789abcdef0');
    const vpc = this.vpcArn();
    const subnet = this.arn('ec2', 'subnet/subnet-0123456789abcdef0');
    const fisTag = { 'aws:RequestTag/managedByFIS': 'true', 'aws:TagKeys': ['managedByFIS'] };
    const instance = this.arn('ec2', 'instance/i-0123456789abcdef0');
    const node = { 'aws:ResourceTag/eks:cluster-name': cluster };
    return [
      { does: 'pod-delete: find the cluster', action: 'eks:DescribeCluster', resource: this.arn('eks', `cluster/${cluster}`) },
      { does: 'stop-instances: stop a node', action: 'ec2:StopInstances', resource: instance, context: node },
      { does: 'stop-instances: start it again', action: 'ec2:StartInstances', resource: instance, context: node },
      {
        does: 'stop-instances: start a node whose EBS volume uses a customer-managed key',
        action: 'kms:CreateGrant',
        resource: this.arn('kms', 'key/1234abcd-12ab-34cd-56ef-1234567890ab'),
        context: { 'kms:ViaService': `ec2.${this.asm.region}.amazonaws.com`, 'kms:GrantIsForAWSResource': 'true' },
      },
      { does: 'database-failover', action: 'rds:RebootDBInstance', resource: this.arn('rds', `db:${primary}`) },
      { does: 'disrupt-connectivity: create the deny-all ACL (the ACL)', action: 'ec2:CreateNetworkAcl', resource: acl, context: fisTag },
      { does: 'disrupt-connectivity: create the deny-all ACL (its VPC)', action: 'ec2:CreateNetworkAcl', resource: vpc },
      { does: 'disrupt-connectivity: tag the ACL', action: 'ec2:CreateTags', resource: acl, context: { ...fisTag, 'ec2:CreateAction': 'CreateNetworkAcl' } },
      { does: 'disrupt-connectivity: add the deny entries', action: 'ec2:CreateNetworkAclEntry', resource: acl, context: { 'aws:ResourceTag/managedByFIS': 'true' } },
      { does: 'disrupt-connectivity: swap the subnet to it (the ACL)', action: 'ec2:ReplaceNetworkAclAssociation', resource: acl, context: { 'ec2:Vpc': vpc } },
      { does: 'disrupt-connectivity: swap the subnet to it (the subnet)', action: 'ec2:ReplaceNetworkAclAssociation', resource: subnet, context: { 'ec2:Vpc': vpc } },
      { does: 'disrupt-connectivity: remove the ACL', action: 'ec2:DeleteNetworkAcl', resource: acl, context: { 'aws:ResourceTag/managedByFIS': 'true' } },
      ...['ec2:DescribeInstances', 'ec2:DescribeNetworkAcls', 'ec2:DescribeSubnets', 'rds:DescribeDBInstances', 'tag:GetResources'].map((action) => ({ does: 'resolve targets', action, resource: '*' })),
    ];
  }

  /** One Lambda lane's function role (lambda-workers.ts). */
  lambdaLane(lane: string): IamCall[] {
    const p = this.def.target.aws.stackPrefix;
    const queue = this.queues.lanes.find((q) => q.replace(/\.fifo$/, '').endsWith(`-${lane}`))!;
    const dlq = this.queues.dlqs.find((q) => q.replace(/\.fifo$/, '').endsWith(`-${lane}-dlq`))!;
    const logGroup = this.asm.physicalId(`${p}-workers`, this.asm.ofType(`${p}-workers`, 'AWS::Logs::LogGroup').find((id) => id.startsWith(`${lane}Logs`))!);
    const proxyId = this.asm.ofType(`${p}-data`, 'AWS::RDS::DBProxy')[0].toLowerCase();
    return [
      ...this.sqs(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], [queue], 'event source mapping and driver'),
      ...this.sqs(['sqs:SendMessage', 'sqs:GetQueueUrl'], [dlq], 'dead-letter the last attempt'),
      ...this.payload('s3:GetObject', 'read a claim-checked payload'),
      { does: 'write its log', action: 'logs:PutLogEvents', resource: this.arn('logs', `log-group:${logGroup}:log-stream:2026/12/06/[$LATEST]abc`) },
      { does: 'attach to the VPC', action: 'ec2:CreateNetworkInterface', resource: '*' },
      { does: 'connect through RDS Proxy with IAM auth', action: 'rds-db:connect', resource: this.arn('rds-db', `dbuser:prx-${proxyId}/${this.def.target.aws.database.proxy!.user}`) },
    ];
  }

  /** What the release workflows do with AWS: push and pull the image, find the cluster. */
  ci(): IamCall[] {
    const repo = this.arn('ecr', `repository/${this.def.target.aws.registry.repository}`);
    return [
      { does: 'docker login', action: 'ecr:GetAuthorizationToken', resource: '*' },
      ...['ecr:BatchCheckLayerAvailability', 'ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage'].map((action) => ({ does: 'push the image', action, resource: repo })),
      ...['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:DescribeImages'].map((action) => ({ does: 'promote the built digest', action, resource: repo })),
      { does: 'aws eks update-kubeconfig', action: 'eks:DescribeCluster', resource: this.arn('eks', `cluster/${this.def.target.cluster}`) },
    ];
  }

  private vpcArn(): string {
    const net = `${this.def.target.aws.stackPrefix}-network`;
    return this.arn('ec2', `vpc/${this.asm.physicalId(net, this.asm.ofType(net, 'AWS::EC2::VPC')[0])}`);
  }
}
