// npm run destroy:aws with a fake runner standing in for kubectl, the aws CLI and cdk: the order
// (Ingress, wait for the controller's ALB and security groups, protection, stacks in reverse), the
// bounded wait, and the refusals.
import { RunResult, Runner } from '../command-runner';
import { spillway as definition } from '../spillway';
import { eksDefinition } from '../model/targets';
import { destroyAws, DestroyClock } from './destroy-aws';
import { stackNames } from './deploy-aws';

const spillway = eksDefinition(definition);

const ok = (stdout = ''): RunResult => ({ status: 0, stdout, stderr: '' });

/** Answers like the real tools: the controller's ALB and group listed until `goneAfter` polls. */
function fakeAws(goneAfter: number, overrides: Record<string, RunResult> = {}): { run: Runner; calls: string[] } {
  const calls: string[] = [];
  let polls = 0;
  const run: Runner = (cmd, args) => {
    const line = [cmd, ...args].join(' ');
    calls.push(line);
    for (const [prefix, r] of Object.entries(overrides)) if (line.startsWith(prefix)) return r;
    if (line.includes('get-resources')) return ok(++polls > goneAfter ? '' : 'arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/app/k8s-spillway-absorber/abc');
    if (line.includes('describe-security-groups')) return ok(polls > goneAfter ? '' : 'sg-0a1\tsg-0b2');
    if (line.includes('describe-stack-resources')) return ok('spillway-data-primary\tspillway-data-replica1');
    return ok();
  };
  return { run, calls };
}

function fakeClock(): DestroyClock & { slept: number } {
  const c = { t: 0, slept: 0, now: () => c.t, sleep: (ms: number) => ((c.t += ms), (c.slept += ms)) };
  return c;
}

const REVERSE = ['move-path', 'ci', 'chaos', 'alarms', 'billing', 'edge', 'backups', 'registry', 'workers', 'access', 'queues', 'data', 'cluster', 'network'].map((s) => `spillway-${s}`);
const opts = { waitS: 60, pollS: 15 };

describe('destroy:aws', () => {
  it('deletes the Ingress, waits for the ALB and its groups to go, lifts protection when asked, then destroys the stacks in reverse order', () => {
    const { run, calls } = fakeAws(2);
    const lines: string[] = [];
    const clock = fakeClock();
    expect(destroyAws(['--lift-deletion-protection'], run, (l) => lines.push(l), () => true, clock, opts)).toBe(0);
    expect(stackNames(spillway).reverse()).toEqual(REVERSE);
    const kinds = calls.map((c) => (c.startsWith('kubectl') ? 'ingress' : c.includes('get-resources') ? 'lbs' : c.includes('describe-security-groups') ? 'sgs' : c.includes('modify-db-instance') ? `lift ${c.split(' ')[6]}` : c.includes('describe-stack-resources') ? 'dbs' : c.split(' ')[3]));
    expect(kinds).toEqual(['ingress', 'lbs', 'sgs', 'lbs', 'sgs', 'lbs', 'sgs', 'dbs', 'lift spillway-data-primary', 'lift spillway-data-replica1', ...REVERSE]);
    expect(calls[0]).toBe('kubectl --namespace spillway delete ingress --all --ignore-not-found --wait=true --timeout=120s');
    expect(calls).toContain(`npx cdk destroy spillway-network --force --app deploy/aws/rendered`);
    expect(calls.find((c) => c.includes('describe-security-groups'))).toContain('--filters Name=tag:elbv2.k8s.aws/cluster,Values=spillway-prod');
    expect(lines).toContain('destroy:aws: still there after 15 s of 60: arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/app/k8s-spillway-absorber/abc, sg-0a1, sg-0b2');
    expect(clock.slept).toBe(30_000);
    expect(lines.at(-6)).toMatch(/^ {2}ECR repository spillway and its images \(retained\): aws ecr delete-repository/);
  });

  it('stops with a one-line reason and deletes no stack when the ALB never goes', () => {
    const { run, calls } = fakeAws(Infinity);
    const lines: string[] = [];
    expect(destroyAws(['--lift-deletion-protection'], run, (l) => lines.push(l), () => true, fakeClock(), opts)).toBe(1);
    expect(lines.at(-1)).toBe(
      'destroy:aws: the load balancer controller did not remove arn:aws:elasticloadbalancing:eu-central-1:123456789012:loadbalancer/app/k8s-spillway-absorber/abc, sg-0a1, sg-0b2 within 60 s (see kubectl -n kube-system logs deploy/aws-load-balancer-controller); no stack deleted',
    );
    expect(calls.filter((c) => c.includes('cdk destroy') || c.includes('modify-db-instance'))).toEqual([]);
    // polled at 0, 15, 30, 45, 60 s: bounded
    expect(calls.filter((c) => c.includes('get-resources'))).toHaveLength(5);
  });

  it('refuses without --lift-deletion-protection while the database is protected, before touching anything', () => {
    const { run, calls } = fakeAws(0);
    const lines: string[] = [];
    expect(destroyAws([], run, (l) => lines.push(l), () => true, fakeClock(), opts)).toBe(1);
    expect(lines).toEqual(['destroy:aws: the database has deletion protection (aws.database.deletionProtection); pass --lift-deletion-protection to delete it (a final snapshot is kept); nothing deleted']);
    expect(calls).toEqual([]);
    // not protected in the definition: no flag needed, and no protection call
    const open = structuredClone(spillway);
    open.target.aws.database.deletionProtection = false;
    const second = fakeAws(0);
    expect(destroyAws([], second.run, () => undefined, () => true, fakeClock(), opts, open)).toBe(0);
    expect(second.calls.filter((c) => c.includes('modify-db-instance') || c.includes('describe-stack-resources'))).toEqual([]);
  });

  it('stops at the stack that fails, naming it; a failed Ingress deletion deletes nothing', () => {
    const failing = fakeAws(0, { 'npx cdk destroy spillway-queues': { status: 1, stdout: '', stderr: 'ROLLBACK\nExport spillway-queues:X in use' } });
    const lines: string[] = [];
    expect(destroyAws(['--lift-deletion-protection'], failing.run, (l) => lines.push(l), () => true, fakeClock(), opts)).toBe(1);
    expect(lines.at(-1)).toBe('destroy:aws: cdk destroy spillway-queues failed (exit 1: Export spillway-queues:X in use); stopped there, the stacks after it in this list are still up; fix and run again');
    expect(failing.calls.some((c) => c.includes('destroy spillway-data'))).toBe(false);

    const noCluster = fakeAws(0, { kubectl: { status: 1, stdout: '', stderr: 'error: You must be logged in to the server' } });
    const out: string[] = [];
    expect(destroyAws(['--lift-deletion-protection'], noCluster.run, (l) => out.push(l), () => true, fakeClock(), opts)).toBe(1);
    expect(out).toEqual([
      'destroy:aws: deleting the Ingress failed (exit 1: error: You must be logged in to the server); nothing else deleted (is kubectl pointed at spillway-prod? aws eks update-kubeconfig --name spillway-prod)',
    ]);
    expect(noCluster.calls).toHaveLength(1);
  });

  it('--dry-run prints every command in order and what is kept, running nothing; no credentials, unknown flags', () => {
    const { run, calls } = fakeAws(0);
    const lines: string[] = [];
    expect(destroyAws(['--dry-run'], run, (l) => lines.push(l), () => false, fakeClock(), opts)).toBe(0);
    expect(calls).toEqual([]);
    expect(lines[1]).toBe('  (without --lift-deletion-protection it stops here, deleting nothing: the database has deletion protection)');
    expect(lines[2]).toBe('  kubectl --namespace spillway delete ingress --all --ignore-not-found --wait=true --timeout=120s');
    expect(lines.filter((l) => l.startsWith('  npx cdk destroy')).map((l) => l.split(' ')[5])).toEqual(REVERSE);
    const kept = lines.slice(lines.indexOf('kept (remove by hand when sure):') + 1).join('\n');
    for (const what of ['ECR repository spillway', 's3://spillway-db-backups-123456789012', 'KMS keys', 'final database snapshots', 'log groups']) expect(kept).toContain(what);

    const lifted: string[] = [];
    destroyAws(['--dry-run', '--lift-deletion-protection'], run, (l) => lifted.push(l), () => false, fakeClock(), opts);
    expect(lifted.find((l) => l.includes('modify-db-instance'))).toContain('--no-deletion-protection');

    const none: string[] = [];
    expect(destroyAws(['--lift-deletion-protection'], run, (l) => none.push(l), () => false, fakeClock(), opts)).toBe(1);
    expect(none).toEqual(['destroy:aws: no AWS credentials found; set AWS_PROFILE (or run `aws configure sso`) and run again']);
    const bad: string[] = [];
    expect(destroyAws(['--force'], run, (l) => bad.push(l), () => true, fakeClock(), opts)).toBe(2);
    expect(bad).toEqual(['destroy:aws: unknown option --force; see --help']);
    expect(calls).toEqual([]);
  });
});
