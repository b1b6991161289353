import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

/** One row of the fault table (docs/faults.md) per case, appended where `npm run test:faults` prints it from. */
export function report(fault: string, action: string, audit: { acknowledged: number; processed: number; lost: number; doubled: number }): void {
  const row = `| ${fault} | ${action} | ${audit.acknowledged} | ${audit.processed} | ${audit.lost} | ${audit.doubled} |`;
  appendFileSync(join(tmpdir(), 'spillway-faults.md'), `${row}\n`);
  process.stdout.write(`${row}\n`);
}
