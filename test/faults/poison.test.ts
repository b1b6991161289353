import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DRIVERS } from '../support/drivers';
import { waitFor } from '../support/env';
import { FaultLedger } from './support/fault-ledger';
import { report } from './support/report';
import { Stack } from './support/stack';

const run = promisify(execFile);
const ledger = new FaultLedger();
beforeAll(() => ledger.setup());
afterAll(() => ledger.close());

describe('poison event', () => {
  let stack: Stack;
  afterEach(() => stack.stop());

  it.each(DRIVERS)('%s: is dead-lettered after MAX_ATTEMPTS with its last error, and succeeds once after a fix and a redrive', async (driver) => {
    const poisonFile = join(mkdtempSync(join(tmpdir(), 'spillway-poison-')), 'broken');
    writeFileSync(poisonFile, 'the handler bug is deployed');
    stack = await Stack.start({ MAX_ATTEMPTS: '3', RETRY_BASE_MS: '100', FAULT_POISON_FILE: poisonFile }, driver);
    const absorber = await stack.addAbsorber();
    await stack.addWorker();
    const post = async (data: object) => {
      const res = await fetch(`${absorber.url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'fault.count', data, priority: 'low' }),
      });
      expect(res.status).toBe(202);
      return ((await res.json()) as { id: string }).id;
    };
    const poison = await post({ poison: true });
    const healthy = await Promise.all(Array.from({ length: 20 }, () => post({})));
    const cli = (...args: string[]) => run(process.execPath, ['dist/apps/cli/src/redrive.js', ...args], { env: stack.env() });

    const listed = await waitFor('the poison event in the dead-letter queue', async () => {
      const { stdout } = await cli('--lane', 'low', '--list');
      return stdout.includes(`poison event ${poison} rejected`) ? stdout : undefined;
    });
    expect(listed).toMatch(/\t3 attempts\t/);
    await waitFor('the healthy events processed', async () => (await ledger.audit(healthy)).lost === 0);
    expect((await ledger.audit([poison])).lost).toBe(1);

    rmSync(poisonFile); // the fix is deployed
    const { stdout } = await cli('--lane', 'all');
    expect(stdout).toMatch(/low: moved [1-9]\d* dead-lettered deliveries back/);
    await waitFor('the redriven event processed', async () => (await ledger.audit([poison])).lost === 0);
    const audit = await ledger.audit([poison, ...healthy]);
    report(`poison event (handler throws) [${driver}]`, 'dead-lettered after 3 attempts with its error; fixed, then `npm run queue:redrive`', audit);
    expect(audit).toMatchObject({ lost: 0, doubled: 0 });
    expect((await cli('--lane', 'low', '--list')).stdout).toContain('0 dead letter(s) listed');
  });

  it('refuses a bad --lane with usage', async () => {
    stack = await Stack.start();
    await expect(run(process.execPath, ['dist/apps/cli/src/redrive.js', '--lane', 'urgent'], { env: stack.env() })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--lane must be one of critical, normal, low, all'),
    });
  });
});
