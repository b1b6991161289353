import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { startAbsorber } from './support/apps';
import { testConfig, testEnv, uniquePrefix, waitFor } from './support/env';
import { AppProcess } from './support/processes';
import { freePort } from './support/redis-server';

/** The suite's log file (test/support/app-logs.ts), one parsed pino line per entry. */
const logged = (): Array<{ name: string; pid: number; msg: string }> =>
  readFileSync(process.env.LOG_FILE!, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
const WARNING = /^INGEST_API_KEYS is not set/;

describe('the apps log into the suite file (LOG_FILE), not onto the run output', () => {
  it('is .test-logs/<suite>.log, with each case start marked in it', () => {
    expect(relative(process.cwd(), process.env.LOG_FILE!)).toBe('.test-logs/test/app-logs.test.ts.log');
    expect(logged().at(-1)).toMatchObject({ name: 'vitest', msg: expect.stringMatching(/^case: .*is \.test-logs\/<suite>\.log/) });
  });

  it('an absorber built in the test process writes its lines there', async () => {
    const app = await startAbsorber(testConfig({ QUEUE_PREFIX: uniquePrefix('applogs'), INGEST_API_KEYS: '' }));
    await app.close();
    await waitFor('its warning in the file', async () => logged().some((l) => l.name === 'absorber' && l.pid === process.pid && WARNING.test(l.msg)), 5_000);
  });

  it('an absorber process the suite starts writes there too, nothing of it on its stdout', async () => {
    const proc = AppProcess.absorber(testEnv({ QUEUE_PREFIX: uniquePrefix('applogs'), INGEST_API_KEYS: '', PORT: String(await freePort()) }));
    try {
      await waitFor('its warning in the file', async () => logged().some((l) => l.name === 'absorber' && l.pid === proc.child.pid && WARNING.test(l.msg)), 30_000);
    } finally {
      await proc.stop();
    }
    expect(proc.output).not.toContain('"level"');
  });

  it('a process given LOG_FILE empty logs on its stdout, as before (for a case that reads proc.output)', async () => {
    const proc = AppProcess.absorber(testEnv({ QUEUE_PREFIX: uniquePrefix('applogs'), INGEST_API_KEYS: '', PORT: String(await freePort()), LOG_FILE: '' }));
    try {
      await waitFor('its warning on stdout', async () => WARNING.test(proc.output.split('\n').map((l) => (l.startsWith('{') ? JSON.parse(l).msg : '')).find(Boolean) ?? ''), 30_000);
    } finally {
      await proc.stop();
    }
    expect(logged().some((l) => l.pid === proc.child.pid)).toBe(false);
  });
});
