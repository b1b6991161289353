// The lane queues, their DLQs and the claim-check payload bucket. Every queue attribute comes from
// libs/queue/src/sqs/queue-attributes.ts, the module `npm run queues:ensure` sets them from.
import { CfnOutput, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { Lane } from '@spillway/config/lanes';
import { loadConfig } from '@spillway/config/config';
import { dlqAttributes, laneAttributes, payloadExpiryDays } from '@spillway/queue/sqs/queue-attributes';
import { EksDefinition } from '../model/definition';
import { allLanes, payloadBucket, queueName } from '../model/queues';
import { allow } from './nag';

/** LEDGER_RETENTION_DAYS as the EKS apps read it (the definition's env, else the apps' default). */
export function claimCheckDays(def: EksDefinition): number {
  return payloadExpiryDays(loadConfig({ ...def.env, ...def.target.env }).ledgerRetentionDays);
}

/** SQS API attributes (strings) as CfnQueue props (camelCase; numbers, booleans, objects). */
export function queueProperties(attributes: Record<string, string>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => {
      const prop = name[0].toLowerCase() + name.slice(1);
      if (name === 'RedrivePolicy') return [prop, JSON.parse(value)];
      if (value === 'true' || value === 'false') return [prop, value === 'true'];
      return [prop, /^\d+$/.test(value) ? Number(value) : value];
    }),
  );
}

/** The claim-check bucket of this EKS target (deploy/model/queues.ts, payloadBucket). */
export const payloadBucketName = (def: EksDefinition): string => payloadBucket(def.queuePrefix, def.target.accountId);

export class QueuesStack extends Stack {
  readonly lanes = new Map<Lane, { queue: sqs.CfnQueue; dlq: sqs.CfnQueue }>();
  readonly payloads: s3.Bucket;

  constructor(scope: Construct, id: string, def: EksDefinition, props: StackProps) {
    super(scope, id, props);
    for (const lane of allLanes()) {
      const sourceName = queueName(def.queuePrefix, lane);
      const dlq = new sqs.CfnQueue(this, `${lane}-dlq`, {
        queueName: queueName(def.queuePrefix, lane, true),
        ...queueProperties(dlqAttributes(lane)),
        // Only the lane's own queue may dead-letter here. Named, not referenced: a reference would be a cycle.
        redriveAllowPolicy: { redrivePermission: 'byQueue', sourceQueueArns: [this.formatArn({ service: 'sqs', resource: sourceName })] },
      });
      // The DLQ's ARN is a CloudFormation reference; it survives the attributes' JSON round trip as a token.
      const queue = new sqs.CfnQueue(this, lane, { queueName: sourceName, ...queueProperties(laneAttributes(lane, def, dlq.attrArn)) });
      allow(queue, [['AwsSolutions-SQS3', 'The lane queue has its DLQ in redrivePolicy.']]);
      allow(dlq, [['AwsSolutions-SQS3', 'This is a dead-letter queue.']]);
      for (const q of [queue, dlq]) {
        // TLS only, like every other path to the data.
        new sqs.CfnQueuePolicy(this, `${q.node.id}-tls`, {
          queues: [q.ref],
          policyDocument: {
            Version: '2012-10-17',
            Statement: [{ Sid: 'TlsOnly', Effect: 'Deny', Principal: '*', Action: 'sqs:*', Resource: q.attrArn, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }],
          },
        });
      }
      this.lanes.set(lane, { queue, dlq });
      new CfnOutput(this, `${lane}QueueUrl`, { value: queue.ref });
    }

    this.payloads = new s3.Bucket(this, 'Payloads', {
      bucketName: payloadBucketName(def),
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // The same expiry queues:ensure sets: the ledger's retention, never before the queues drop their messages.
      lifecycleRules: [{ id: 'claim-check-retention', expiration: Duration.days(claimCheckDays(def)), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
    });
    allow(this.payloads, [
      ['AwsSolutions-S1', 'Short-lived claim-check objects written and read only by the workload roles; access logs would double every write. Audit with CloudTrail data events if needed.'],
    ]);
    new CfnOutput(this, 'PayloadBucket', { value: this.payloads.bucketName });
  }
}
