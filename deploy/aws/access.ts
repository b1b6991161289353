// Least-privilege pod roles (EKS Pod Identity), one per ServiceAccount: the absorber sends, the
// worker consumes, KEDA reads queue depth, External Secrets reads the app's secrets, the Cluster
// Autoscaler sizes tagged node groups, the Load Balancer Controller manages its own ALBs.
import { ArnFormat, CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { EksDefinition } from '../model/definition';
import { allLanes, queueName } from '../model/queues';
import { serviceAccountName } from '../model/service-accounts';
import { addonAccounts } from './addons';
import { lbControllerNagReasons, lbControllerStatements } from './lb-controller-policy';
import { allow } from './nag';
import { serviceAccountRole } from './pod-identity';
import { payloadBucketName } from './queues';
import { redisSecretKey } from '../model/redis';


const statement = (actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
  new iam.PolicyStatement({ actions, resources, ...(conditions ? { conditions } : {}) });

export class AccessStack extends Stack {
  constructor(scope: Construct, id: string, def: EksDefinition, props: StackProps) {
    super(scope, id, props);
    const cluster = def.target.cluster;
    const ns = def.target.namespace;
    const arn = (name: string) => this.formatArn({ service: 'sqs', resource: name });
    const lanes = allLanes().map((l) => arn(queueName(def.queuePrefix, l)));
    const dlqs = allLanes().map((l) => arn(queueName(def.queuePrefix, l, true)));
    const bucket = this.formatArn({ service: 's3', region: '', account: '', resource: payloadBucketName(def) });
    const objects = `${bucket}/*`;
    const describe = ['sqs:GetQueueUrl', 'sqs:GetQueueAttributes'];

    const sqs = def.target.broker.kind === 'sqs';
    const roles: Record<string, iam.Role> = sqs
      ? {
          absorber: serviceAccountRole(this, 'Absorber', cluster, { namespace: ns, serviceAccount: serviceAccountName(def, 'absorber') }, [
            statement(['sqs:SendMessage', ...describe], lanes),
            statement(describe, dlqs),
            statement(['s3:PutObject'], [objects]),
          ]),
          // A delivery that fails is re-sent (with its delay) or moved to the DLQ by the worker itself.
          worker: serviceAccountRole(this, 'Worker', cluster, { namespace: ns, serviceAccount: serviceAccountName(def, 'worker') }, [
            statement(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:SendMessage', ...describe], [...lanes, ...dlqs]),
            statement(['s3:GetObject', 's3:PutObject'], [objects]),
          ]),
          keda: serviceAccountRole(this, 'Keda', cluster, addonAccounts.keda, [statement(['sqs:GetQueueAttributes'], lanes)]),
        }
      : {
          // On BullMQ the pods reach only Redis (REDIS_URL, a Kubernetes Secret): their roles grant
          // nothing, and KEDA reads list lengths from Redis with the same secret, so it has no role.
          absorber: serviceAccountRole(this, 'Absorber', cluster, { namespace: ns, serviceAccount: serviceAccountName(def, 'absorber') }, []),
          worker: serviceAccountRole(this, 'Worker', cluster, { namespace: ns, serviceAccount: serviceAccountName(def, 'worker') }, []),
        };
    roles.externalSecrets = serviceAccountRole(this, 'ExternalSecrets', cluster, addonAccounts.externalSecrets, [
      statement(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], secretArns(this, def)),
    ]);
    // S3 object ARNs end in /*: the objects of exactly one bucket.
    if (sqs) {
      for (const role of [roles.absorber, roles.worker]) {
        allow(role, [[`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${payloadBucketName(def)}/*]`, 'Objects of the payload bucket only: claim-check objects have random keys.']]);
      }
    }
    for (const key of secretKeys(def)) {
      const finding = `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:${this.region}:${this.account}:secret:${key}-*]`;
      allow(roles.externalSecrets, [[finding, 'Secrets Manager appends a random suffix to every secret ARN; -* matches exactly that suffix of a named secret.']]);
    }

    if (def.target.aws.cluster.compute === 'managed-nodes') {
      roles.clusterAutoscaler = serviceAccountRole(this, 'ClusterAutoscaler', cluster, addonAccounts.clusterAutoscaler, [
        statement(
          ['autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribeAutoScalingInstances', 'autoscaling:DescribeLaunchConfigurations', 'autoscaling:DescribeScalingActivities', 'autoscaling:DescribeTags', 'ec2:DescribeImages', 'ec2:DescribeInstanceTypes', 'ec2:DescribeLaunchTemplateVersions', 'ec2:GetInstanceTypesFromInstanceRequirements', 'eks:DescribeNodegroup'],
          ['*'],
        ),
        // Changes only node groups this cluster owns (the tag EKS puts on the group's Auto Scaling group).
        statement(['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'], ['*'], {
          StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${cluster}`]: 'owned' },
        }),
      ]);
      allow(roles.clusterAutoscaler, [['AwsSolutions-IAM5[Resource::*]', 'Describe calls take no resource ARN; the two write actions are limited by the owned-by-this-cluster tag.']]);
      roles.loadBalancerController = serviceAccountRole(this, 'LoadBalancerController', cluster, addonAccounts.loadBalancerController, lbControllerStatements(cluster));
      allow(roles.loadBalancerController, [
        ['AwsSolutions-IAM5[Resource::*]', "Describe calls take no resource ARN and the ALBs it creates have no name until then; writes are limited to resources tagged with this cluster's name."],
        ['AwsSolutions-IAM5[Action::elasticloadbalancing:Describe*]', 'Read-only: every Describe call of Elastic Load Balancing, which the controller reconciles against.'],
        ...lbControllerNagReasons,
      ]);
    }
    for (const [name, role] of Object.entries(roles)) new CfnOutput(this, `${name}RoleArn`, { value: role.roleArn });
  }
}

/** Secrets Manager secrets (remote keys) some service on EKS reads, and on BullMQ the cache's connection secret. */
function secretKeys(def: EksDefinition): string[] {
  const used = [...new Set(def.services.flatMap((s) => s.secrets))];
  const broker = def.target.broker.kind === 'bullmq' ? [redisSecretKey(def)] : [];
  return [...new Set([...used.map((name) => def.secrets[name].remoteKey), ...broker])].sort();
}

function secretArns(stack: Stack, def: EksDefinition): string[] {
  return secretKeys(def).map((key) => stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${key}-*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }));
}
