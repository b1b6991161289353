import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUTPUT_PATHS, ROOT } from '../outputs';
import { spillway } from '../spillway';
import { terraformObject } from './terraform';
import { danglingReferences } from './terraform-references';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const tf = JSON.parse(readFileSync(join(ROOT, OUTPUT_PATHS.terraform), 'utf8')) as Any;
const queues = tf.resource.aws_sqs_queue as Any;

describe('Terraform JSON for the queues', () => {
  it("names queues the way the SQS driver does", () => {
    const names = Object.values(queues).map((q: Any) => q.name).sort();
    expect(names).toEqual([
      'spillway-critical-dlq.fifo',
      'spillway-critical.fifo',
      'spillway-low',
      'spillway-low-dlq',
      'spillway-normal',
      'spillway-normal-dlq',
    ]);
    expect(queues.critical.fifo_queue).toBe(true);
    expect(queues.critical_dlq.fifo_queue).toBe(true);
    expect(queues.normal.fifo_queue).toBeUndefined();
  });

  it('redrives to the DLQ after MAX_ATTEMPTS receives', () => {
    for (const lane of ['critical', 'normal', 'low']) {
      expect(queues[lane].redrive_policy).toBe(
        `\${jsonencode({deadLetterTargetArn = aws_sqs_queue.${lane}_dlq.arn, maxReceiveCount = 5})}`,
      );
      expect(queues[lane].visibility_timeout_seconds).toBe(30);
    }
  });

  it('grants the IRSA role the queues and the secret, and trusts the ServiceAccount', () => {
    const docs = tf.data.aws_iam_policy_document;
    const access = docs.spillway_access.statement;
    expect(access[0].resources).toHaveLength(6);
    expect(access[1].resources).toEqual(['arn:aws:secretsmanager:eu-central-1:123456789012:secret:spillway/prod-*']);
    expect(docs.spillway_assume.statement[0].condition[0].values).toEqual(['system:serviceaccount:spillway:spillway']);
    expect(tf.resource.aws_iam_role.spillway.name).toBe('spillway-workload');
  });

  it('every reference resolves, and a typo would be caught', () => {
    expect(danglingReferences(tf)).toEqual([]);
    const broken = structuredClone(terraformObject(spillway)) as Any;
    broken.resource.aws_sqs_queue.low.redrive_policy = '${aws_sqs_queue.lowest_dlq.arn}';
    expect(danglingReferences(broken)).toEqual(['unknown reference aws_sqs_queue.lowest_dlq']);
  });
});
