import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { Logger } from '@nestjs/common';
import { createLogger, logDestination, PinoNestLogger } from '@spillway/health';

/*
 * The apps' log lines of an integration suite go to a file of its own, not to the run's output:
 * `.test-logs/<suite path>.log` (gitignored), emptied when the suite starts. A setup file of the
 * integration project (vitest.config.mts), so LOG_FILE is set before the suite's own code runs: the
 * apps it builds in-process and every app process it starts (their env is copied from this
 * process's) append there. A case that must see an app's log lines on its stdout (`proc.output`)
 * gives that process `LOG_FILE: ''`.
 *
 * Each case's start is written into the file as a pino-shaped line (`name: "vitest"`), so the file
 * reads as the suite's timeline and `npx pino-pretty < file` shows it; a failed case prints where
 * its part of the file begins, beside Vitest's own report of the failure.
 */

const ROOT = join(__dirname, '..', '..');

/** The folder every suite's log file is under, and the file of one suite (by its absolute path). */
export const TEST_LOGS = join(ROOT, '.test-logs');
export function appLogFile(suite: string): string {
  return join(TEST_LOGS, `${relative(ROOT, suite)}.log`);
}

const suite = expect.getState().testPath;
if (!suite) throw new Error('app logs: Vitest did not say which file is running');
const file = appLogFile(suite);
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, '');
process.env.LOG_FILE = file;
// Nest's own logger, for a service a suite builds without an app (`new LedgerSweeper(...)`): there,
// not Nest's console lines. An app the suite builds sets its own (the same file).
Logger.overrideLogger(new PinoNestLogger(createLogger(process.env.LOG_LEVEL ?? 'warn', 'suite', 'json', logDestination(file))));

const marker = (name: string) => JSON.stringify({ level: 30, time: Date.now(), pid: process.pid, name: 'vitest', msg: `case: ${name}` });

beforeEach(({ task, onTestFailed }) => {
  const line = marker(task.fullName);
  appendFileSync(file, `${line}\n`);
  onTestFailed(() => {
    const lines = readFileSync(file, 'utf8').split('\n');
    const from = lines.indexOf(line) + 1;
    const own = lines.slice(from).filter((l) => l && !l.includes('"name":"vitest"')).length;
    console.log(`app logs: ${relative(process.cwd(), file)}, this case from line ${from} (${own} line(s) since)`);
  });
});
