import { BenchArgs } from './args';

export async function runE2e(_args: BenchArgs, _redisUrl: string, log: (line: string) => void): Promise<void> {
  log('e2e: not written yet');
}
