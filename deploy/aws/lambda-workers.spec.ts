// The Lambda lanes as CloudFormation (aws-cdk-lib/assertions): the function, its event source
// mapping, its role's exact statements, its alarms, the RDS Proxy, and that a definition without
// Lambda lanes renders neither the workers stack nor the proxy.
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EksDefinition } from '../model/definition';
import { spillway as definition } from '../spillway';
import { eksDefinition } from '../model/targets';
import { alarmName } from './alarms';
import { buildAwsApp } from './app';

const spillway = eksDefinition(definition);

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function stacksOf(def: EksDefinition): Record<string, Template> {
  const { stacks } = buildAwsApp(def);
  return Object.fromEntries(stacks.map((s) => [s.stackName.replace(`${def.target.aws.stackPrefix}-`, ''), Template.fromStack(s)]));
}
const only = (t: Template, type: string): Any => {
  const found = Object.values(t.findResources(type));
  expect(found).toHaveLength(1);
  return found[0].Properties;
};
/** `arn:${Partition}:sqs:...:name` as the template writes it. */
const arn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });

const seed = stacksOf(spillway);
const spec = spillway.services.find((s) => s.name === 'worker')!.lambda!;

describe('the Lambda lane of the reference definition (low)', () => {
  const fn = only(seed.workers, 'AWS::Lambda::Function');

  it('function: Node 24 on arm64, index.handler, memory and timeout from the definition, in the private subnets', () => {
    expect(fn).toMatchObject({
      FunctionName: 'spillway-worker-low',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: spec.memoryMiB,
      Timeout: spec.timeoutSeconds,
    });
    expect(fn.VpcConfig.SubnetIds).toHaveLength(3);
    expect(JSON.stringify(fn.VpcConfig.SubnetIds)).toContain('privateSubnet');
    // The timeout stays within the lane's visibility timeout, as SQS requires.
    const lane = Object.values(seed.queues.findResources('AWS::SQS::Queue', { Properties: { QueueName: 'spillway-low' } }))[0].Properties;
    expect(fn.Timeout).toBeLessThanOrEqual(lane.VisibilityTimeout);
    // The asset is the bundle, by the hash of what was built (no Docker, no source hash).
    expect(fn.Code.S3Key).toMatch(/^[0-9a-f]{64}\.zip$/);
  });

  it('env: the one lane, SQS, IAM auth through the proxy with no password, a small pool, no reserved name', () => {
    const env = fn.Environment.Variables;
    expect(env).toMatchObject({
      QUEUE_DRIVER: 'sqs',
      QUEUE_PREFIX: 'spillway',
      MAX_ATTEMPTS: '5',
      LEASE_MS: '30000',
      WORKER_LANES: 'low',
      SQS_PAYLOAD_BUCKET: 'spillway-payloads-123456789012',
      LOG_LEVEL: 'info',
      DB_POOL_MAX: '2',
      DATABASE_IAM_AUTH: 'on',
    });
    expect(env.LANE_ROUTES).toContain('analytics.*=low');
    expect(env.DATABASE_URL).toEqual({
      'Fn::Join': ['', ['postgres://spillway_app@', { 'Fn::ImportValue': expect.stringMatching(/^spillway-data:.*Proxy.*Endpoint/) }, ':5432/spillway?sslmode=require']],
    });
    for (const name of ['AWS_REGION', 'WORKER_HEALTH_PORT', 'SHUTDOWN_TIMEOUT_MS', 'WORKER_CONCURRENCY']) expect(env[name]).toBeUndefined();
    // No password anywhere in the workers stack: the runtime signs an RDS IAM token per connection.
    expect(JSON.stringify(seed.workers.toJSON())).not.toMatch(/password|secretsmanager/i);
  });

  it('event source mapping: batch size, window, partial batch failures, maximum concurrency', () => {
    expect(only(seed.workers, 'AWS::Lambda::EventSourceMapping')).toEqual({
      FunctionName: { Ref: expect.stringMatching(/^lowFunction/) },
      EventSourceArn: { 'Fn::ImportValue': expect.stringMatching(/^spillway-queues:.*low.*Arn/) },
      BatchSize: spec.batchSize,
      MaximumBatchingWindowInSeconds: spec.batchingWindowSeconds,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: spec.maxConcurrency },
    });
  });

  it("role: its lane's queue, its DLQ, payload objects, rds-db:connect as the one user, its log group; * only for the VPC interfaces", () => {
    const statements = only(seed.workers, 'AWS::IAM::Policy').PolicyDocument.Statement.map((s: Any) => [s.Action, s.Resource]);
    const logGroup = Object.keys(seed.workers.findResources('AWS::Logs::LogGroup'))[0];
    expect(statements).toEqual([
      [['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], arn(':sqs:eu-central-1:123456789012:spillway-low')],
      [['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], arn(':sqs:eu-central-1:123456789012:spillway-low-dlq')],
      ['s3:GetObject', arn(':s3:::spillway-payloads-123456789012/*')],
      [['logs:CreateLogStream', 'logs:PutLogEvents'], { 'Fn::GetAtt': [logGroup, 'Arn'] }],
      [['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'], '*'],
      [
        'rds-db:connect',
        {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':rds-db:eu-central-1:123456789012:dbuser:', { 'Fn::Select': [6, { 'Fn::Split': [':', { 'Fn::ImportValue': expect.stringMatching(/DBProxyArn/) }] }] }, '/spillway_app'],
          ],
        },
      ],
    ]);
    expect(only(seed.workers, 'AWS::Logs::LogGroup')).toEqual({ LogGroupName: '/aws/lambda/spillway-worker-low', RetentionInDays: 30 });
    expect(only(seed.workers, 'AWS::IAM::Role').ManagedPolicyArns).toBeUndefined();
    // Created only once its policy exists (Lambda checks the network-interface actions then).
    const [fnResource] = Object.values(seed.workers.findResources('AWS::Lambda::Function'));
    expect(fnResource.DependsOn).toEqual(Object.keys(seed.workers.findResources('AWS::IAM::Policy')));
  });

  it('network: the functions reach only the proxy and HTTPS; the proxy takes them in', () => {
    const sg = only(seed.workers, 'AWS::EC2::SecurityGroup');
    expect(sg.SecurityGroupIngress).toBeUndefined();
    expect(sg.SecurityGroupEgress.map((e: Any) => [e.FromPort, e.CidrIp ?? 'proxy'])).toEqual([
      [5432, 'proxy'],
      [443, '0.0.0.0/0'],
    ]);
    expect(only(seed.workers, 'AWS::EC2::SecurityGroupIngress')).toMatchObject({ FromPort: 5432, GroupId: { 'Fn::ImportValue': expect.stringMatching(/ProxySg/) } });
  });

  it('RDS Proxy: TLS and IAM auth required, the generated app-user secret, a share of the connections', () => {
    expect(only(seed.data, 'AWS::RDS::DBProxy')).toMatchObject({
      EngineFamily: 'POSTGRESQL',
      RequireTLS: true,
      Auth: [{ AuthScheme: 'SECRETS', IAMAuth: 'REQUIRED', SecretArn: { Ref: expect.stringMatching(/^AppUserSecret/) } }],
    });
    expect(only(seed.data, 'AWS::RDS::DBProxyTargetGroup').ConnectionPoolConfigurationInfo).toEqual({ MaxConnectionsPercent: 50 });
    const secret = Object.values(seed.data.findResources('AWS::SecretsManager::Secret', { Properties: { Name: 'spillway/db-app' } }))[0].Properties;
    expect(secret).toMatchObject({ Name: 'spillway/db-app', GenerateSecretString: { SecretStringTemplate: '{"username":"spillway_app"}', GenerateStringKey: 'password' } });
    // The proxy's group: in from the cluster (and the functions, in the workers stack), out to the database.
    const proxySg = Object.values(seed.data.findResources('AWS::EC2::SecurityGroup')).find((r) => /RDS Proxy/.test(r.Properties.GroupDescription))!.Properties;
    expect(proxySg.SecurityGroupIngress.map((i: Any) => i.FromPort)).toEqual([5432]);
    seed.data.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { Description: 'Allow connections to the database Instance from the Proxy' });
  });

  it('alarms: errors and throttles of the function, at once; the lane age alarm is the queue one, not a second', () => {
    for (const what of ['errors', 'throttles'] as const) {
      seed.alarms.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: alarmName.lambda('spillway-worker-low', what),
        Namespace: 'AWS/Lambda',
        MetricName: what === 'errors' ? 'Errors' : 'Throttles',
        Dimensions: [{ Name: 'FunctionName', Value: 'spillway-worker-low' }],
        Statistic: 'Sum',
        Threshold: 0,
        EvaluationPeriods: spillway.alerts.forMinutes,
        DatapointsToAlarm: 1,
        AlarmActions: [Match.anyValue()],
      });
    }
    const ages = Object.values(seed.alarms.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'ApproximateAgeOfOldestMessage' } }));
    expect(ages.map((a) => a.Properties.AlarmName).sort()).toEqual(['spillway-critical-oldest-event-age', 'spillway-low-oldest-event-age', 'spillway-normal-oldest-event-age']);
  });
});

describe('Lambda lanes: other definitions', () => {
  it('no Lambda lane: no workers stack, no proxy, no function alarms', () => {
    const def = structuredClone(spillway);
    delete def.services.find((s) => s.name === 'worker')!.lambda;
    const t = stacksOf(def);
    expect(Object.keys(t)).not.toContain('workers');
    t.data.resourceCountIs('AWS::RDS::DBProxy', 0);
    expect(t.data.findResources('AWS::SecretsManager::Secret', { Properties: { Name: 'spillway/db-app' } })).toEqual({});
    expect(JSON.stringify(t.alarms.toJSON())).not.toContain('AWS/Lambda');
  });

  it('two lanes: a function, role, mapping and alarm pair each; FIFO without a window', () => {
    const def = structuredClone(spillway);
    const worker = def.services.find((s) => s.name === 'worker')!;
    worker.lambda = { ...worker.lambda!, lanes: ['critical', 'low'], batchSize: 10, batchingWindowSeconds: 0, maxConcurrency: 20, architecture: 'x86_64' };
    const t = stacksOf(def);
    t.workers.resourceCountIs('AWS::Lambda::Function', 2);
    t.workers.resourceCountIs('AWS::IAM::Role', 2);
    t.workers.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::ImportValue': Match.stringLikeRegexp('spillway-queues:.*critical.*Arn') },
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: Match.absent(),
      ScalingConfig: { MaximumConcurrency: 20 },
    });
    t.workers.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'spillway-worker-critical', Architectures: ['x86_64'] });
    expect(Object.values(t.alarms.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'AWS/Lambda' } }))).toHaveLength(4);
  });
});
