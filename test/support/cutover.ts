import { runCutover } from '../../deploy/cutover-run';
import { testEnv } from './env';

export interface CutoverResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `npm run cutover -- <args>` in this process (runCutover, what deploy/cutover.ts calls): what it
 * would have printed and its exit status. In-process so that mutation testing sees the
 * orchestration; test/cutover-refusals.test.ts keeps one case on the real command.
 */
export async function cutoverInProcess(args: string[], env: Record<string, string> = {}): Promise<CutoverResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCutover(args, testEnv(env), { out: (t) => void out.push(t), err: (t) => void err.push(t) });
  return { code, stdout: out.join(''), stderr: err.join('') };
}
