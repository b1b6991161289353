import 'reflect-metadata';
import { isLane, Lane, LANES, loadConfigOrExit } from '../../../libs/config/src';
import { createQueueDriver } from '../../../libs/queue/src';

const HELP = `usage: npm run queue:redrive -- --lane <critical|normal|low|all> [--list]

Moves dead-lettered deliveries back to their lane so workers try them again (after the bug that
killed them is fixed). Events already applied are skipped by the worker's ledger, so a redrive
never doubles an effect. With --list, only shows what is dead-lettered and why (on BullMQ also
jobs that ended in the lane's failed set), and per lane the count the broker reports, which is
what /metrics exports as spillway_queue_depth{state="deadLettered"} (approximate on SQS).
Reads the same environment as the apps (QUEUE_DRIVER, REDIS_URL, QUEUE_PREFIX, ...).`;

/** More than any sane dead-letter queue holds; the point of --list is to show all of them. */
const LIST_LIMIT = 100_000;

function parseArgs(argv: string[]): { lanes: Lane[]; list: boolean } {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  const i = argv.indexOf('--lane');
  const lane = i >= 0 ? argv[i + 1] : undefined;
  if (!lane || (lane !== 'all' && !isLane(lane))) {
    process.stderr.write(`queue:redrive: --lane must be one of ${LANES.join(', ')}, all\n${HELP}\n`);
    process.exit(2);
  }
  return { lanes: lane === 'all' ? [...LANES] : [lane as Lane], list: argv.includes('--list') };
}

async function main(): Promise<void> {
  const { lanes, list } = parseArgs(process.argv.slice(2));
  const driver = await createQueueDriver(loadConfigOrExit());
  try {
    if (!(await driver.waitUntilConnected(5000))) throw new Error('broker unreachable');
    let total = 0;
    for (const lane of lanes) {
      if (list) {
        const letters = await driver.deadLetters(lane, LIST_LIMIT);
        for (const l of letters) {
          const firstLine = l.lastError.split('\n')[0];
          process.stdout.write(`${lane}\t${l.id}\t${l.events.length} event(s)\t${l.attempts} attempts\t${l.failedAt}\t${firstLine}\n`);
        }
        const counted = (await driver.depth(lane)).deadLettered;
        if (letters.length || counted) process.stdout.write(`${lane}: ${letters.length} listed, ${counted} counted by the broker\n`);
        total += letters.length;
        continue;
      }
      const moved = await driver.redrive(lane);
      process.stdout.write(`${lane}: moved ${moved} dead-lettered deliveries back\n`);
      total += moved;
    }
    process.stdout.write(list ? `${total} dead letter(s) listed\n` : `redrive done: ${total} deliveries moved\n`);
  } finally {
    await driver.close();
  }
}

main().catch((err) => {
  process.stderr.write(`queue:redrive: ${(err as Error).message}\n`);
  process.exit(1);
});
