import { loadConfig } from '@spillway/config/config';
import { claimCheckExpiryDays } from '@spillway/queue/sqs/sqs-queues';
// The queues stack and `npm run queues:ensure` set the same attributes: both read
// libs/queue/src/sqs/queue-attributes.ts, and this reads the template back into SQS attribute
// terms and compares, so a property added on one side only fails here.
import { Template } from 'aws-cdk-lib/assertions';
import { LANES } from '@spillway/config/lanes';
import { dlqAttributes, laneAttributes, PAYLOAD_EXPIRY_DAYS } from '@spillway/queue/sqs/queue-attributes';
import { plainEnv } from '../model/env';
import { queueName } from '../model/queues';
import { payloadBucketName } from './queues';
import { spillway as definition } from '../spillway';
import { eksDefinition } from '../model/targets';
import { buildAwsApp } from './app';

const spillway = eksDefinition(definition);

type Props = Record<string, unknown>;
const queuesStack = buildAwsApp(spillway).stacks.find((s) => s.stackName === 'spillway-queues')!;
const template = Template.fromStack(queuesStack);
const queues = template.findResources('AWS::SQS::Queue');
const byName = (name: string) => Object.entries(queues).find(([, r]) => r.Properties.QueueName === name)!;

/** A CloudFormation queue's properties as the SQS API's attributes (strings); the DLQ reference as `dlq`. */
function asSqsAttributes(props: Props): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(props)) {
    if (key === 'QueueName' || key === 'RedriveAllowPolicy') continue; // a name, and a permission queues:ensure leaves open
    if (key === 'RedrivePolicy') {
      const { deadLetterTargetArn, maxReceiveCount } = value as { deadLetterTargetArn: { 'Fn::GetAtt': [string, string] }; maxReceiveCount: number };
      out[key] = JSON.stringify({ deadLetterTargetArn: `dlq:${deadLetterTargetArn['Fn::GetAtt'][0]}`, maxReceiveCount });
    } else out[key] = String(value);
  }
  return out;
}

describe('queue attributes: the CDK queues stack and queues:ensure agree', () => {
  it.each([...LANES])('lane %s and its DLQ', (lane) => {
    const [dlqId, dlq] = byName(queueName(spillway.queuePrefix, lane, true));
    const [, queue] = byName(queueName(spillway.queuePrefix, lane));
    expect(asSqsAttributes(dlq.Properties)).toEqual(dlqAttributes(lane));
    expect(asSqsAttributes(queue.Properties)).toEqual(laneAttributes(lane, spillway, `dlq:${dlqId}`));
  });

  it("the seed's numbers: 1 MiB messages, 14 days, a 30 s lease, dead-lettered after 5 receives, SSE", () => {
    const [, critical] = byName('spillway-critical.fifo');
    expect(critical.Properties).toMatchObject({
      MaximumMessageSize: 1_048_576,
      MessageRetentionPeriod: 1_209_600,
      VisibilityTimeout: 30,
      ReceiveMessageWaitTimeSeconds: 20,
      SqsManagedSseEnabled: true,
      FifoQueue: true,
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
      RedrivePolicy: { maxReceiveCount: 5 },
    });
    expect(byName('spillway-low')[1].Properties.FifoQueue).toBeUndefined();
  });

  it('every queue refuses plain HTTP', () => {
    expect(Object.keys(template.findResources('AWS::SQS::QueuePolicy'))).toHaveLength(Object.keys(queues).length);
  });

  it("payload bucket: its name carries the account id (bucket names are global), and every EKS pod's SQS_PAYLOAD_BUCKET is that name", () => {
    expect(payloadBucketName(spillway)).toBe('spillway-payloads-123456789012');
    template.hasResourceProperties('AWS::S3::Bucket', { BucketName: payloadBucketName(spillway) });
    for (const svc of spillway.services) {
      const env = plainEnv(spillway, svc, spillway.target);
      expect([svc.name, env.SQS_PAYLOAD_BUCKET]).toEqual([svc.name, payloadBucketName(spillway)]);
      expect(loadConfig({ ...env, WEBHOOK_SECRET_GITHUB: 'x'.repeat(32) }).payloadBucket).toBe(payloadBucketName(spillway));
    }
  });

  it('payload bucket: encrypted, TLS only, private, expiring as queues:ensure expires it', () => {
    expect(PAYLOAD_EXPIRY_DAYS).toBe(15);
    // The apps' default LEDGER_RETENTION_DAYS (30) is over the queues' 15: the same days queues:ensure sets.
    expect(claimCheckExpiryDays(loadConfig({}))).toBe(30);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: [{ Id: 'claim-check-retention', ExpirationInDays: 30, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }] },
    });
  });
});
