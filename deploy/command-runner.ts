// How the deploy commands start kubectl and docker; tests pass a fake to see what would run.
import { spawnSync } from 'node:child_process';

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Set when the program could not be started at all (e.g. not installed). */
  error?: Error;
}

export type Runner = (cmd: string, args: string[], opts?: { inherit?: boolean }) => RunResult;

export const spawnRunner: Runner = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: opts.inherit ? 'inherit' : 'pipe' });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
};
