import 'reflect-metadata';
import { createInterface } from 'node:readline/promises';
import { isLane, Lane, LANES, loadConfigOrExit } from '@spillway/config';
import { filters, filterText, findLetters, inS3Text, LaneFind, LetterFilter, letterLine, parseSince } from '@spillway/ops/letter-filter';
import { createQueueDriver } from '@spillway/queue';
import { cliFlags } from './flags';

const HELP = `usage: npm run queue:redrive -- --lane <critical|normal|low|all> [--type GLOB] [--grep TEXT]
                                [--key KEY] [--since ISO] [--list] [--json] [--discard] [--yes] [--max N]

Moves dead-lettered deliveries back to their lane so workers try them again (after the bug that
killed them is fixed). Events already applied are skipped by the worker's ledger, so a redrive
never doubles an effect. Reads the same environment as the apps (QUEUE_DRIVER, REDIS_URL,
QUEUE_PREFIX, ...).

  --list         only show what is dead-lettered and why (on BullMQ also jobs that ended in the
                 lane's failed set), and per lane the count the broker reports, which is what
                 /metrics exports as spillway_queue_depth{state="deadLettered"} (approximate on SQS)
  --discard      delete the matching dead letters for good instead of redriving them
  --type GLOB    letters with an event of this type (* any characters, ? one): 'order.*'
  --grep TEXT    letters whose last error contains TEXT (case-insensitive)
  --key KEY      letters with an event of this ordering key (the client's key, or origin/key)
  --since ISO    letters that failed at or after this time (2026-12-06T10:00:00Z)
  --json         one JSON object a line per letter listed or acted on (lane, id, attempts,
                 failedAt, lastError, events[] with id, type, key); summaries go to stderr
  --yes          act on more than one letter without asking (needed when stdin is not a terminal)
  --max N        letters looked at per lane (default 100000): on SQS each one is received, so this
                 bounds the receives; the command says when it stopped there

Filters apply to listing, redriving and discarding alike; --type and --key must hold for one same
event of a letter. Filtering reads the letters first (on SQS by receiving them: bounded, and the
command says how many it looked at), then acts on the matching ones by id.`;

/** More than any sane dead-letter queue holds; the point of --list is to show all of them. */
const LOOK_LIMIT = 100_000;

interface RedriveArgs {
  lanes: Lane[];
  filter: LetterFilter;
  list: boolean;
  json: boolean;
  discard: boolean;
  yes: boolean;
  max: number;
}

function fail(message: string): never {
  process.stderr.write(`queue:redrive: ${message}\n`);
  process.exit(2);
}

export function parseRedriveArgs(argv: string[]): RedriveArgs | 'help' {
  const args: RedriveArgs = { lanes: [], filter: {}, list: false, json: false, discard: false, yes: false, max: LOOK_LIMIT };
  let lane: string | undefined;
  for (const { flag, value } of cliFlags(argv, fail)) {
    switch (flag) {
      case '--help':
      case '-h':
        return 'help';
      case '--lane':
        lane = value();
        break;
      case '--type':
        args.filter.type = value();
        break;
      case '--grep':
        args.filter.grep = value();
        break;
      case '--key':
        args.filter.key = value();
        break;
      case '--since': {
        const v = value();
        args.filter.since = parseSince(v) ?? fail(`--since: "${v}" is not an ISO time (2026-12-06T10:00:00Z)`);
        break;
      }
      case '--list':
        args.list = true;
        break;
      case '--json':
        args.json = true;
        break;
      case '--discard':
        args.discard = true;
        break;
      case '--max': {
        const v = value();
        if (!/^[1-9]\d*$/.test(v)) fail(`--max: "${v}" is not a whole number >= 1`);
        args.max = Number(v);
        break;
      }
      case '--yes':
      case '-y':
        args.yes = true;
        break;
      default:
        fail(`unknown flag ${flag} (see --help)`);
    }
  }
  if (!lane || (lane !== 'all' && !isLane(lane))) fail(`--lane must be one of ${LANES.join(', ')}, all (see --help)`);
  if (args.list && args.discard) fail('--list only shows; drop it to --discard');
  args.lanes = lane === 'all' ? [...LANES] : [lane as Lane];
  return args;
}

/** Asks on the terminal; false unless the answer is y or yes. */
async function confirmed(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

async function main(): Promise<void> {
  const args = parseRedriveArgs(process.argv.slice(2));
  if (args === 'help') return void process.stdout.write(`${HELP}\n`);
  const { lanes, filter, list, json, discard, yes, max } = args;
  const filtered = filters(filter);
  const out = (line: string) => process.stdout.write(`${line}\n`);
  // With --json, stdout carries only the letters; what the command says goes to stderr.
  const say = (line: string) => (json ? process.stderr : process.stdout).write(`${line}\n`);
  const driver = await createQueueDriver(loadConfigOrExit());
  try {
    if (!(await driver.waitUntilConnected(5000))) throw new Error('broker unreachable');
    const found: LaneFind[] = [];
    for (const lane of lanes) found.push(await findLetters(driver, lane, filter, max));
    const looked = found.reduce((n, f) => n + f.lookedAt, 0);
    for (const f of found) if (f.lookedAt >= max) say(`${f.lane}: stopped looking at --max ${max} letters; more may match`);

    if (list) {
      for (const f of found) {
        for (const l of f.matching) {
          if (json) out(JSON.stringify(letterLine(l)));
          else out(`${f.lane}\t${l.id}\t${l.claim ? inS3Text({ bytes: l.claim.bytes ?? null }) : `${l.events.length} event(s)`}\t${l.attempts} attempts\t${l.failedAt}\t${l.lastError.split('\n')[0]}`);
        }
        if (!f.lookedAt && !f.counted) continue;
        if (filtered) say(`${f.lane}: ${f.matching.length} of ${f.lookedAt} looked at match ${filterText(filter)}; ${f.counted} counted by the broker`);
        else say(`${f.lane}: ${f.matching.length} listed, ${f.counted} counted by the broker`);
      }
      say(`${found.reduce((n, f) => n + f.matching.length, 0)} dead letter(s) listed`);
      return;
    }

    // Unfiltered, the broker's count may be the larger (SQS's FIFO DLQ hides a group's later letters).
    const count = found.reduce((n, f) => n + (filtered ? f.matching.length : Math.max(f.matching.length, f.counted)), 0);
    const verb = discard ? 'discard (delete for good)' : 'redrive';
    const what = `${count} dead letter(s) on ${lanes.join(', ')}${filtered ? ` matching ${filterText(filter)} (of ${looked} looked at)` : ''}`;
    if (count > 1 && !yes) {
      if (!process.stdin.isTTY) fail(`would ${verb} ${what}; stdin is not a terminal to ask on: give --yes to go ahead`);
      if (!(await confirmed(`${verb} ${what}?`))) {
        say('nothing done');
        return;
      }
    }

    let total = 0;
    for (const f of found) {
      const ids = filtered ? f.matching.map((l) => l.id) : undefined;
      if (ids && !ids.length) continue;
      const done = discard ? await driver.discardDeadLetters(f.lane, ids) : await driver.redrive(f.lane, ids);
      if (json) for (const l of f.matching) out(JSON.stringify(letterLine(l)));
      const of = ids && done !== ids.length ? ` of ${ids.length} matching (the others are gone or hidden: list again)` : '';
      say(discard ? `${f.lane}: discarded ${done} dead letter(s)${of}` : `${f.lane}: moved ${done} dead-lettered deliveries back${of}`);
      total += done;
    }
    if (filtered) say(`looked at ${looked} dead letter(s), ${count} matched ${filterText(filter)}`);
    say(discard ? `discard done: ${total} dead letter(s) deleted` : `redrive done: ${total} deliveries moved`);
  } finally {
    await driver.close();
  }
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`queue:redrive: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
