// `npm run cutover -- --to <target> [--from <target>]`: move the public traffic between two targets
// chosen by name by changing the definition's weights, step by step, then empty the old side's
// queues and scale its workers down. Every step is logged and safe to re-run. The orchestration is
// runCutover (deploy/cutover-run.ts); this file only hands it the process's arguments, environment
// and output, and exits with its status.
import { runCutover } from './cutover-run';

runCutover(process.argv.slice(2), process.env, {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
}).then(
  (code) => {
    // As before: a refusal exits at once (open handles or not); success ends when the loop is empty.
    if (code !== 0) process.exit(code);
  },
  (err: Error) => {
    process.stderr.write(`cutover: ${err.message}\n`);
    process.exit(1);
  },
);
