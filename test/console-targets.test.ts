import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueDriver } from '@spillway/queue';
import { SqsDriver } from '@spillway/queue/drivers';
import { EksTarget, SpillwayDefinition } from '../deploy/model/definition';
import { spillway } from '../deploy/spillway';
import { renderTargetsFile, TARGETS_FILE } from '../deploy/targets-file';
import { testConfig, testEnv, uniquePrefix, waitFor } from './support/env';
import { queued, serve } from './support/ops-fixtures';

/**
 * A third target is data for the console too: the definition gets a `staging` EKS target (SQS,
 * its own queue prefix), synth's renderer writes the targets file, and the built console, given
 * `--side staging` and nothing else about it, reads staging's queues on SQS (the test's fauxqs).
 * No console code names staging (or hetzner, or eks).
 */
describe('npm run console: a target named only in the definition', () => {
  const stagingPrefix = uniquePrefix('staging');
  let staging: QueueDriver;
  let ready: { url: string; close: () => Promise<void> };
  let targetsFile: string;

  beforeAll(async () => {
    const def: SpillwayDefinition = structuredClone(spillway);
    def.targets.staging = { ...(structuredClone(def.targets.eks) as EksTarget), queuePrefix: stagingPrefix };
    const dir = mkdtempSync(join(tmpdir(), 'spillway-console-targets-'));
    targetsFile = join(dir, 'targets.json');
    writeFileSync(targetsFile, renderTargetsFile(def)[TARGETS_FILE]);
    staging = new SqsDriver(testConfig({ QUEUE_DRIVER: 'sqs', QUEUE_PREFIX: stagingPrefix }));
    await (staging as SqsDriver).ensureQueues();
    // Two sends, two deliveries (one send of several events may travel as one message).
    await staging.enqueue('low', [queued('low', 'staging-1')]);
    await staging.enqueue('low', [queued('low', 'staging-2')]);
    ready = await serve(async () => ({ status: 200, body: '{"status":"ok"}' }));
  });
  afterAll(async () => {
    await staging?.close();
    await ready?.close();
  });

  it('reads staging on SQS at its own queue prefix, beside hetzner, with CONSOLE_STAGING_URL', async () => {
    const env = testEnv({
      CONSOLE_AUTH: 'off',
      CONSOLE_PORT: '0',
      CONSOLE_SAMPLE_S: '1',
      CONSOLE_TARGETS_FILE: targetsFile,
      CONSOLE_STAGING_URL: ready.url,
      // The apps' prefix: what hetzner (no prefix of its own) reads; staging's comes from the targets file.
      QUEUE_PREFIX: uniquePrefix('apps'),
      QUEUE_DRIVER: 'bullmq',
    });
    const child = spawn(process.execPath, ['dist/apps/console/src/main.js', '--side', 'hetzner', '--side', 'staging'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const exited = new Promise((r) => child.once('exit', r));
      const listening = waitFor('the console to listen', async () => /console on (http:\/\/127\.0\.0\.1:\d+\/) \(sides: hetzner bullmq, staging sqs; AUTH OFF\)/.exec(out) ?? undefined, 20_000);
      // A console that refuses its sides exits at once: its message is the failure.
      const line = await Promise.race([listening, exited.then(() => Promise.reject(new Error(`console exited: ${err}`)))]);
      type Report = { sides: Array<{ name: string; driver: string; readiness?: { url: string; ready: boolean }; lanes: Array<{ lane: string; depth: { waiting: number } }> }> };
      const report = (await (await fetch(`${line[1]}api/report`)).json()) as Report;
      expect(report.sides.map((s) => [s.name, s.driver])).toEqual([['hetzner', 'bullmq'], ['staging', 'sqs']]);
      const side = report.sides[1];
      expect(side.lanes.find((l) => l.lane === 'low')?.depth.waiting).toBe(2);
      expect(side.readiness).toMatchObject({ url: `${ready.url}/health/ready`, ready: true });
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    }
  });
});
