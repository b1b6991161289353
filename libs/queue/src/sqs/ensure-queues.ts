import { loadConfigOrExit } from '@spillway/config';
import { LANES } from '@spillway/config';
import { queueName } from './sqs-names';
import { SqsDriver } from './sqs.driver';

const HELP = `usage: npm run queues:ensure [-- --help]

Creates the SQS queues for QUEUE_PREFIX, or brings existing ones to this configuration; safe to
run again (idempotent). For every lane: the queue and its -dlq twin with a RedrivePolicy of
maxReceiveCount = MAX_ATTEMPTS, VisibilityTimeout = LEASE_MS, 20 s long polling, 14-day retention;
plus the S3 bucket SQS_PAYLOAD_BUCKET for payloads over the message size limit, with a
lifecycle rule that expires them after max(LEDGER_RETENTION_DAYS, 15) days.

Reads: QUEUE_PREFIX, AWS_REGION, SQS_ENDPOINT (unset = real AWS, credentials from the usual
AWS chain), MAX_ATTEMPTS, LEASE_MS, SQS_PAYLOAD_BUCKET, LEDGER_RETENTION_DAYS.
Queues for QUEUE_PREFIX=${process.env.QUEUE_PREFIX || 'spillway'}: ${LANES.map((l) => queueName(process.env.QUEUE_PREFIX || 'spillway', l)).join(', ')} (+ -dlq twins)
`;

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(HELP);
    return;
  }
  const config = loadConfigOrExit();
  const driver = new SqsDriver(config);
  try {
    for (const r of await driver.ensureQueues()) process.stdout.write(`${r.action.padEnd(9)} ${r.name}\n`);
  } finally {
    await driver.close();
  }
}

main().catch((err) => {
  process.stderr.write(`queues:ensure: ${(err as Error).message}\n`);
  process.exit(1);
});
