import { randomBytes } from 'node:crypto';
import { loadConfig, SpillwayConfig } from '@spillway/config';

/** A queue prefix of its own per suite, so suites never see each other's jobs. */
export function uniquePrefix(name: string): string {
  return `t-${name}-${randomBytes(3).toString('hex')}`;
}

export function testEnv(overrides: Record<string, string> = {}): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) base[k] = v;
  // METRICS_PORT 0: absorbers started side by side must not all claim 9464. SQS_METRICS_READ_S 0:
  // a scrape shows what the case just did (test/sqs-idle-calls.test.ts runs the default, 60).
  return { ...base, LOG_LEVEL: 'warn', METRICS_PORT: '0', SQS_METRICS_READ_S: '0', ...overrides };
}

export function testConfig(overrides: Record<string, string> = {}): SpillwayConfig {
  return loadConfig(testEnv(overrides));
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
