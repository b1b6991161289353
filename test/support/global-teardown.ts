import './path-aliases-hook';
import { loadConfig } from '@spillway/config';
import type { FauxqsServer } from './fauxqs';
import { dropKeys } from './redis-server';

/** Every suite's queue prefix starts with `t-` (see uniquePrefix): clear them all from the shared Redis. */
export default async function globalTeardown(): Promise<void> {
  await dropKeys(loadConfig().redisUrl, 't-*');
  await (globalThis as { fauxqs?: FauxqsServer }).fauxqs?.stop();
}
