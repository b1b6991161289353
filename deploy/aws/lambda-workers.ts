// The Lambda lanes (ServiceSpec.lambda; docs/lambda.md): per lane a function running the worker's
// handlers from one offline bundle (deploy/aws/worker-bundle.ts), in the private subnets, its own
// least-privilege role and log group, and an SQS event source mapping reporting partial batch
// failures. Rendered only when some lane runs on Lambda; the lanes' alarms are in alarms.ts.
import { AssetHashType, CfnOutput, CfnResource, DockerImage, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Lane } from '@spillway/config/lanes';
import { ServiceSpec, EksDefinition } from '../model/definition';
import { lambdaEnv } from '../model/env';
import { functionName, lambdaLanes, proxyDatabaseUrl } from '../model/lambda-lanes';
import { queueName } from '../model/queues';
import { POSTGRES_PORT } from './data';
import { allow } from './nag';
import { payloadBucketName, QueuesStack } from './queues';
import { bundleWorkerLambda } from './worker-bundle';

/** What the runtime logs is kept a month, like the cluster's application logs. */
const LOG_RETENTION = logs.RetentionDays.ONE_MONTH;

/** Where the bundler starts (its source); the asset hash is of the bundle it writes (OUTPUT). */
const WORKER_SOURCE = join(__dirname, '../../apps/worker/src');

/** This process's bundle, file by file: every app a test or synth builds writes it instead of bundling again. */
let built: Map<string, Buffer> | undefined;
function bundleOnce(outputDir: string): void {
  if (!built) {
    const dir = mkdtempSync(join(tmpdir(), 'spillway-worker-bundle-'));
    try {
      bundleWorkerLambda(dir);
      const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(dir, f)).isFile());
      built = new Map(files.map((f) => [f, readFileSync(join(dir, f))]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  for (const [file, content] of built) {
    mkdirSync(dirname(join(outputDir, file)), { recursive: true });
    writeFileSync(join(outputDir, file), content);
  }
}

/**
 * The bundle, built in-process by esbuild: no Docker. The image is never pulled (tryBundle always
 * succeeds or throws); CDK requires one. Hashing the output makes the template follow the code.
 */
export function workerCode(): lambda.Code {
  return lambda.Code.fromAsset(WORKER_SOURCE, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: DockerImage.fromRegistry('public.ecr.aws/sam/build-nodejs24.x'),
      local: {
        tryBundle(outputDir: string) {
          bundleOnce(outputDir);
          return true;
        },
      },
    },
  });
}

export class LambdaWorkersStack extends Stack {
  readonly functions = new Map<Lane, lambda.Function>();

  constructor(scope: Construct, id: string, def: EksDefinition, vpc: ec2.IVpc, proxy: rds.DatabaseProxy, queues: QueuesStack, props: StackProps) {
    super(scope, id, props);
    // One group for every function: out to the proxy and to AWS APIs over HTTPS (SQS, S3 via the NAT).
    const sg = new ec2.SecurityGroup(this, 'FunctionsSg', { vpc, description: 'Lambda workers: to the RDS Proxy and AWS APIs', allowAllOutbound: false });
    const proxySgId = proxy.connections.securityGroups[0].securityGroupId;
    sg.addEgressRule(ec2.Peer.securityGroupId(proxySgId), ec2.Port.tcp(POSTGRES_PORT), 'RDS Proxy');
    sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'SQS, S3 and STS endpoints');
    // Here, not in the data stack: the proxy's group names this one, and data must not depend on workers.
    new ec2.CfnSecurityGroupIngress(this, 'ProxyFromFunctions', {
      groupId: proxySgId,
      sourceSecurityGroupId: sg.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: POSTGRES_PORT,
      toPort: POSTGRES_PORT,
      description: 'Lambda workers',
    });
    const code = workerCode();
    for (const { svc, lane } of lambdaLanes(def)) this.functions.set(lane, this.laneFunction(def, svc, lane, vpc, sg, proxy, code, queues.lanes.get(lane)!.queue.attrArn));
  }

  private laneFunction(def: EksDefinition, svc: ServiceSpec, lane: Lane, vpc: ec2.IVpc, sg: ec2.ISecurityGroup, proxy: rds.DatabaseProxy, code: lambda.Code, queueRef: string): lambda.Function {
    const spec = svc.lambda!;
    const name = functionName(def, svc, lane);
    const sqsArn = (queue: string) => this.formatArn({ service: 'sqs', resource: queue });
    const queueArn = sqsArn(queueName(def.queuePrefix, lane));
    const dlqArn = sqsArn(queueName(def.queuePrefix, lane, true));
    const bucket = payloadBucketName(def);
    const logGroup = new logs.LogGroup(this, `${lane}Logs`, { logGroupName: `/aws/lambda/${name}`, retention: LOG_RETENTION });

    const role = new iam.Role(this, `${lane}Role`, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: `${name}: lane ${lane} only` });
    const allowTo = (actions: string[], resources: string[]) => role.addToPolicy(new iam.PolicyStatement({ actions, resources }));
    // The event source mapping receives and deletes; the driver changes visibility and resolves the URL.
    allowTo(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], [queueArn]);
    // The last attempt's copy, with its error and count, goes to the DLQ from the driver itself.
    allowTo(['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], [dlqArn]);
    allowTo(['s3:GetObject'], [this.formatArn({ service: 's3', region: '', account: '', resource: bucket, resourceName: '*' })]);
    allowTo(['logs:CreateLogStream', 'logs:PutLogEvents'], [logGroup.logGroupArn]);
    // What Lambda does to attach the function to the VPC (AWSLambdaVPCAccessExecutionRole's actions).
    allowTo(['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'], ['*']);
    proxy.grantConnect(role, def.target.aws.database.proxy!.user);
    allow(role, [
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${bucket}/*]`, 'Objects of the payload bucket only: claim-check objects have random keys.'],
      ['AwsSolutions-IAM5[Resource::*]', 'The network-interface actions Lambda needs to run in the VPC take no resource ARN (the interfaces do not exist yet); AWS documents them with Resource *.'],
    ]);

    const fn = new lambda.Function(this, `${lane}Function`, {
      functionName: name,
      description: `${def.name}: the ${svc.name}'s handlers for lane ${lane}, from SQS`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: spec.architecture === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64,
      handler: 'index.handler',
      code,
      memorySize: spec.memoryMiB,
      timeout: Duration.seconds(spec.timeoutSeconds),
      environment: lambdaEnv(def, svc, lane, { databaseUrl: proxyDatabaseUrl(def, proxy.endpoint), payloadBucket: bucket }),
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [sg],
      role,
      logGroup,
    });
    // Lambda checks the role's network-interface actions when it creates a VPC function: wait for
    // the policy. The role itself is already a GetAtt (a DependsOn on it too is a validator warning).
    const policy = role.node.findChild('DefaultPolicy').node.defaultChild as CfnResource;
    (fn.node.defaultChild as CfnResource).addOverride('DependsOn', [this.getLogicalId(policy)]);
    new lambda.EventSourceMapping(this, `${lane}Mapping`, {
      target: fn,
      // The queue by reference (the role names it by ARN): the mapping waits for the queue stack's own.
      eventSourceArn: queueRef,
      batchSize: spec.batchSize,
      ...(spec.batchingWindowSeconds > 0 ? { maxBatchingWindow: Duration.seconds(spec.batchingWindowSeconds) } : {}),
      reportBatchItemFailures: true,
      maxConcurrency: spec.maxConcurrency,
    });
    new CfnOutput(this, `${lane}FunctionName`, { value: fn.functionName });
    return fn;
  }
}

