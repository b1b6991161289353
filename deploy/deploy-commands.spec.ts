// The deploy commands with a fake runner: what they would start, and how they refuse.
import { Runner, RunResult } from './command-runner';
import { deployEks } from './deploy-eks';
import { deployHetzner } from './deploy-hetzner';
import { boxProblems } from './hetzner/preflight';
import { migrateJobName } from './eks/migrate-job';
import { spillway } from './spillway';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeDefinition, eksDefinition } from './model/targets';

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
    const wait = `kubectl -n spillway wait --for=condition=complete job/${migrateJobName(eksDefinition(spillway))} --timeout=600s`;
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

  it('--monitoring adds the monitoring profile', () => {
    const { run } = fakeRunner({});
    const out = capture();
    expect(deployHetzner(['--dry-run', '--monitoring', '--tls'], run, out.log, noSynth)).toBe(0);
    expect(out.lines).toContain('  docker compose -f docker-compose.yml --profile tls --profile monitoring up -d --build --remove-orphans');
  });

  /** A checkout with the given secret files under deploy/hetzner/secrets/. */
  function checkout(files: Record<string, string>): string {
    const root = mkdtempSync(join(tmpdir(), 'spillway-preflight-'));
    mkdirSync(join(root, 'deploy/hetzner/secrets'), { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(root, 'deploy/hetzner/secrets', name), text);
    return root;
  }
  const healthyBox = {
    'docker version': { stdout: '27.3.1\n' },
    'docker compose version': { stdout: 'v2.29.7\n' },
    'docker info': { stdout: '/var/lib/docker\n' },
    'df -Pk': { stdout: 'Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/sda1 40000000 10000000 30000000 25% /\n' },
  };
  const goodSecrets = {
    'absorber.env': 'INGEST_API_KEYS=k\nREDIS_URL=redis://absorber:p@redis:6379\nWEBHOOK_SECRET_GITHUB=g\n',
    'worker.env': 'DATABASE_URL=postgres://u:p@h/db\nREDIS_URL=redis://worker:p@redis:6379\n',
    'postgres.env': 'POSTGRES_PASSWORD=p\n',
    'db-roles.env': 'PGPASSWORD=p\nMIGRATE_DB_PASSWORD=m\nWORKER_DB_PASSWORD=w\nBACKUP_DB_PASSWORD=b\nEXPORTER_DB_PASSWORD=e\n',
    'redis.env': 'REDIS_ABSORBER_PASSWORD=a\nREDIS_WORKER_PASSWORD=w\nREDIS_EXPORTER_PASSWORD=e\n',
    'redis-exporter.env': 'REDIS_PASSWORD=e\n',
    'migrate.env': 'DATABASE_URL=postgres://u:p@h/db\n',
    'backup.env': 'AWS_ACCESS_KEY_ID=a\nAWS_SECRET_ACCESS_KEY=s\nBACKUP_ENCRYPTION_KEY=k\nDATABASE_URL=postgres://u:p@h/db\n',
    // docker-compose reads every service's env file, those of a profile not started included.
    'grafana.env': 'GF_SECURITY_ADMIN_PASSWORD=g\n',
    'postgres-exporter.env': 'DATA_SOURCE_NAME=postgresql://u:p@postgres/db\n',
  };

  it('a ready box has no problems', () => {
    expect(boxProblems(composeDefinition(spillway), fakeRunner(healthyBox).run, checkout(goodSecrets), undefined)).toEqual([]);
  });

  it('names everything the box lacks: old Docker, no compose, little disk, missing or misplaced secrets', () => {
    const { run } = fakeRunner({
      ...healthyBox,
      'docker version': { stdout: '19.03.2' },
      'docker compose version': { status: 1 },
      'docker-compose': { status: 127 },
      'df -Pk': { stdout: 'x\n/dev/sda1 40000000 39000000 1048576 99% /\n' },
    });
    const root = checkout({ 'absorber.env': 'INGEST_API_KEYS=\nREDIS_URL=r\nWEBHOOK_SECRET_GITHUB=g\n', 'worker.env': 'DATABASE_URL=x\nINGEST_API_KEYS=k\nREDIS_URL=r\n' });
    expect(boxProblems(composeDefinition(spillway), run, root, undefined)).toEqual([
      'Docker 19.3 at the local Docker engine is older than 20.10; upgrade it',
      'neither `docker compose` nor `docker-compose` is installed here; install the compose plugin',
      'only 1.0 GiB free in /var/lib/docker on the local Docker engine; 5 GiB needed',
      'deploy/hetzner/secrets/absorber.env: INGEST_API_KEYS is missing or empty',
      'deploy/hetzner/secrets/worker.env: INGEST_API_KEYS is not a secret of worker; remove it',
      'deploy/hetzner/secrets/postgres.env is missing; copy deploy/hetzner/secrets/postgres.env.example to it and set every value',
      'deploy/hetzner/secrets/db-roles.env is missing; copy deploy/hetzner/secrets/db-roles.env.example to it and set every value',
      'deploy/hetzner/secrets/redis.env is missing; copy deploy/hetzner/secrets/redis.env.example to it and set every value',
      'deploy/hetzner/secrets/migrate.env is missing; copy deploy/hetzner/secrets/migrate.env.example to it and set every value',
      'deploy/hetzner/secrets/backup.env is missing; copy deploy/hetzner/secrets/backup.env.example to it and set every value',
      'deploy/hetzner/secrets/grafana.env is missing; copy deploy/hetzner/secrets/grafana.env.example to it and set every value',
      'deploy/hetzner/secrets/redis-exporter.env is missing; copy deploy/hetzner/secrets/redis-exporter.env.example to it and set every value',
      'deploy/hetzner/secrets/postgres-exporter.env is missing; copy deploy/hetzner/secrets/postgres-exporter.env.example to it and set every value',
    ]);
  });

  it('asks the remote box for its free disk over ssh, and says when Docker does not answer', () => {
    const { run, calls } = fakeRunner({ ...healthyBox, ssh: healthyBox['df -Pk'] });
    expect(boxProblems(composeDefinition(spillway), run, checkout(goodSecrets), 'ssh://deploy@box')).toEqual([]);
    expect(calls).toContain('ssh deploy@box df -Pk /var/lib/docker');
    const down = fakeRunner({ ...healthyBox, 'docker version': { status: 1, stderr: 'Cannot connect to the Docker daemon\n' } });
    expect(boxProblems(composeDefinition(spillway), down.run, checkout(goodSecrets), undefined)[0]).toBe(
      'Docker at the local Docker engine does not answer (Cannot connect to the Docker daemon); install or start it',
    );
  });

  it('refuses to start anything on a box that is not ready', () => {
    const { run, calls } = fakeRunner({ 'docker version': { status: 1 } });
    const out = capture();
    expect(deployHetzner([], run, out.log, noSynth)).toBe(1);
    expect(out.lines.at(-1)).toMatch(/thing\(s\) missing; nothing was started$/);
    expect(calls.some((c) => c.includes(' up '))).toBe(false);
  });

  it('--help', () => {
    const out = capture();
    expect(deployHetzner(['--help'], fakeRunner({}).run, out.log, noSynth)).toBe(0);
    expect(out.lines[0]).toMatch(/^Usage: npm run deploy:hetzner/);
  });
});
