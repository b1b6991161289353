// The deploy commands with a fake runner: what they would start, and how they refuse.
import { Runner, RunResult } from './command-runner';
import { deployEks } from './deploy-eks';
import { deployHetzner, missingSecrets } from './deploy-hetzner';
import { migrateJobName } from './eks/migrate-job';
import { spillway } from './spillway';

function fakeRunner(answers: Record<string, Partial<RunResult>>): { run: Runner; calls: string[] } {
  const calls: string[] = [];
  const run: Runner = (cmd, args) => {
    const line = [cmd, ...args].join(' ');
    calls.push(line);
    const key = Object.keys(answers).find((k) => line.startsWith(k));
    return { status: 0, stdout: '', stderr: '', ...(key ? answers[key] : {}) };
  };
  return { run, calls };
}

const noSynth = () => 0;

function capture() {
  const lines: string[] = [];
  return { lines, log: (l: string) => lines.push(l) };
}

describe('deploy:eks', () => {
  it('--dry-run prints the plan and applies nothing', () => {
    const { run, calls } = fakeRunner({ 'kubectl config current-context': { stdout: 'arn:aws:eks:x:1:cluster/spillway-prod\n' } });
    const out = capture();
    expect(deployEks(['--dry-run'], run, out.log, noSynth)).toBe(0);
    expect(out.lines).toContain('  Deployment spillway/absorber-blue');
    expect(out.lines).toContain('  ScaledObject spillway/worker');
    expect(calls).toEqual(['kubectl config current-context']);
  });

  it('refuses clearly without a kubectl context', () => {
    const { run, calls } = fakeRunner({ 'kubectl config current-context': { status: 1, stderr: 'error: current-context is not set' } });
    const out = capture();
    expect(deployEks([], run, out.log, noSynth)).toBe(1);
    expect(out.lines.at(-1)).toBe(
      'deploy:eks: no kubectl context is set; run `aws eks update-kubeconfig --name spillway-prod --region eu-central-1` first',
    );
    expect(calls.some((c) => c.includes('apply'))).toBe(false);
  });

  it('server-side dry run, server-side apply of the rendered file, then waits for the migration Job', () => {
    const { run, calls } = fakeRunner({ 'kubectl config current-context': { stdout: 'arn:aws:eks:x:1:cluster/spillway-prod' } });
    expect(deployEks([], run, () => undefined, noSynth)).toBe(0);
    const apply = 'kubectl apply --server-side --field-manager=spillway -f deploy/eks/rendered/spillway.k8s.yaml';
    const wait = `kubectl -n spillway wait --for=condition=complete job/${migrateJobName(spillway)} --timeout=600s`;
    expect(calls.slice(1)).toEqual([`${apply} --dry-run=server`, apply, wait]);
  });

  it('fails, naming the Job, when the migration does not complete', () => {
    const { run } = fakeRunner({ 'kubectl config current-context': { stdout: 'spillway-prod' }, 'kubectl -n spillway wait': { status: 1 } });
    const out = capture();
    expect(deployEks([], run, out.log, noSynth)).toBe(1);
    expect(out.lines.at(-1)).toMatch(/^deploy:eks: the migration Job did not complete; see `kubectl -n spillway logs job\/spillway-migrate-/);
  });

  it('stops when the cluster rejects the dry run', () => {
    const { run, calls } = fakeRunner({
      'kubectl config current-context': { stdout: 'spillway-prod' },
      'kubectl apply': { status: 1 },
    });
    expect(deployEks([], run, () => undefined, noSynth)).toBe(1);
    expect(calls.filter((c) => c.includes('apply'))).toHaveLength(1);
  });

  it('--help', () => {
    const out = capture();
    expect(deployEks(['--help'], fakeRunner({}).run, out.log, noSynth)).toBe(0);
    expect(out.lines[0]).toMatch(/^Usage: npm run deploy:eks/);
  });
});

describe('deploy:hetzner', () => {
  it('--dry-run prints the compose command and runs nothing', () => {
    const { run, calls } = fakeRunner({});
    const out = capture();
    expect(deployHetzner(['--dry-run', '--tls'], run, out.log, noSynth)).toBe(0);
    expect(out.lines).toContain('  docker compose -f docker-compose.yml --profile tls up -d --build --remove-orphans');
    expect(calls).toEqual([]);
  });

  it('names secrets the env file lacks or leaves empty', () => {
    expect(missingSecrets('DATABASE_URL=postgres://u:p@h/db\nINGEST_API_KEYS=\n# POSTGRES_PASSWORD=x\n')).toEqual([
      'INGEST_API_KEYS',
      'POSTGRES_PASSWORD',
    ]);
    expect(missingSecrets('DATABASE_URL=a\nINGEST_API_KEYS=b\nPOSTGRES_PASSWORD=c\n')).toEqual([]);
  });

  it('--help', () => {
    const out = capture();
    expect(deployHetzner(['--help'], fakeRunner({}).run, out.log, noSynth)).toBe(0);
    expect(out.lines[0]).toMatch(/^Usage: npm run deploy:hetzner/);
  });
});
