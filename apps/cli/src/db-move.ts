// `npm run db:move`: a Postgres database (Supabase, the Hetzner box) into another (RDS), verified.
import { HELP, parseMoveArgs, runMove, VerifyFailed } from '@spillway/db-move';

const log = (line: string): void => {
  process.stdout.write(`${new Date().toISOString()} db:move: ${line}\n`);
};

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  let options;
  try {
    options = parseMoveArgs(argv);
  } catch (err) {
    process.stderr.write(`db:move: ${(err as Error).message}\n\n${HELP}\n`);
    process.exit(2);
  }
  await runMove(options, log);
}

main().catch((err) => {
  process.stderr.write(`db:move: ${(err as Error).message}\n`);
  // 3: the copy and the source differ (each difference named above); 1: the move could not run
  process.exit(err instanceof VerifyFailed ? 3 : 1);
});
