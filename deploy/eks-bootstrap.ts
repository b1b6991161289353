// `npm run deploy:eks -- --bootstrap`: the add-ons' Helm releases in install order. A release that
// fails is rolled back to its last deployed revision, or uninstalled when it had none, so no
// admission webhook stays registered without a pod behind it (every later install would fail on
// it); then the next release goes on. Each release's state is reported at the end.
import { HelmRelease, installCommand, repoCommands } from './aws/addons';
import { Runner } from './command-runner';

export type ReleaseState =
  | 'installed'
  | 'not attempted'
  | `failed; rolled back to revision ${number}`
  | 'failed; uninstalled'
  | 'failed; rollback failed: run it by hand';

/** The revision `helm status` reports deployed, if the release exists and is healthy. */
function deployedRevision(run: Runner, r: HelmRelease): number | undefined {
  const status = run('helm', ['status', r.release, '--namespace', r.namespace, '--output', 'json']);
  if (status.status !== 0) return undefined;
  try {
    const parsed = JSON.parse(status.stdout) as { version?: number; info?: { status?: string } };
    return parsed.info?.status === 'deployed' ? parsed.version : undefined;
  } catch {
    return undefined;
  }
}

/** Undoes a failed install or upgrade; the state it leaves. */
function undo(run: Runner, log: (l: string) => void, r: HelmRelease, previous: number | undefined): ReleaseState {
  const ns = ['--namespace', r.namespace, '--wait'];
  const args = previous !== undefined ? ['rollback', r.release, String(previous), ...ns] : ['uninstall', r.release, ...ns];
  log(`deploy:eks: ${r.release} failed; helm ${args.join(' ')}`);
  const undone = run('helm', args, { inherit: true });
  if (undone.status !== 0) return 'failed; rollback failed: run it by hand';
  return previous !== undefined ? `failed; rolled back to revision ${previous}` : 'failed; uninstalled';
}

/** Runs the releases in order; returns the exit code and logs each release's state at the end. */
export function runBootstrap(releases: HelmRelease[], run: Runner, log: (l: string) => void): number {
  const states = new Map<string, ReleaseState>(releases.map((r) => [r.release, 'not attempted']));
  const report = (code: number) => {
    log('deploy:eks: add-ons:');
    for (const [release, state] of states) log(`  ${release}: ${state}`);
    return code;
  };
  for (const [cmd, ...args] of repoCommands(releases)) {
    log(`deploy:eks: ${cmd} ${args.join(' ')}`);
    const r = run(cmd, args, { inherit: true });
    if (r.error) {
      log('deploy:eks: helm not found; install Helm 3, then run again');
      return report(1);
    }
    if (r.status !== 0) {
      log(`deploy:eks: \`${cmd} ${args.join(' ')}\` failed; nothing was installed`);
      return report(1);
    }
  }
  let failed = false;
  for (const release of releases) {
    const previous = deployedRevision(run, release);
    const [cmd, ...args] = installCommand(release);
    log(`deploy:eks: ${cmd} ${args.join(' ')}`);
    if (run(cmd, args, { inherit: true }).status === 0) {
      states.set(release.release, 'installed');
      continue;
    }
    failed = true;
    const state = undo(run, log, release, previous);
    states.set(release.release, state);
    // A release left half-installed may keep a webhook with no endpoints: later installs would fail on it.
    if (state === 'failed; rollback failed: run it by hand') {
      log(`deploy:eks: stopping: ${release.release} could not be rolled back (see \`helm status ${release.release} -n ${release.namespace}\`)`);
      return report(1);
    }
  }
  return report(failed ? 1 : 0);
}
