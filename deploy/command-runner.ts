// How the deploy commands start kubectl and docker; tests pass a fake to see what would run.
import { spawnSync } from 'node:child_process';

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Set when the program could not be started at all (e.g. not installed). */
  error?: Error;
}

export interface RunOptions {
  inherit?: boolean;
  /** Added to this process's environment for the child (e.g. SPILLWAY_IMAGE for compose). */
  env?: Record<string, string>;
}

export type Runner = (cmd: string, args: string[], opts?: RunOptions) => RunResult;

export const spawnRunner: Runner = (cmd, args, opts = {}) => {
  const env = opts.env ? { ...process.env, ...opts.env } : process.env;
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: opts.inherit ? 'inherit' : 'pipe', env });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
};

/**
 * The start both deploy commands share: --help, unknown flags (exit 2), then re-render the outputs so
 * what is applied is what the definition says. Returns an exit code to stop with, or undefined to go on.
 */
export function startDeploy(
  command: string,
  help: string,
  args: string[],
  flags: string[],
  log: (l: string) => void,
  render: (log: (l: string) => void) => number,
): number | undefined {
  if (args.includes('--help') || args.includes('-h')) {
    log(help);
    return 0;
  }
  const unknown = args.filter((a) => !flags.includes(a));
  if (unknown.length) {
    log(`${command}: unknown option ${unknown.join(' ')}; see --help`);
    return 2;
  }
  const status = render(log);
  return status === 0 ? undefined : status;
}
