import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { OUTPUT_PATHS, ROOT } from '../outputs';
import { spillway as definition } from '../spillway';
import { composeDefinition, eksDefinition } from '../model/targets';
import { renderCompose } from '../hetzner/compose';
import { manifestObjects } from './chart';
import { kubernetesSchemaProblems } from './schemas';

const spillway = eksDefinition(definition);

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const docs = parseAllDocuments(readFileSync(join(ROOT, OUTPUT_PATHS.manifests), 'utf8')).map((d) => d.toJS() as Any);
const find = (kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name) as Any;

describe('Kubernetes schema validation', () => {
  it.each(docs.map((d) => [`${d.kind} ${d.metadata.name}`, d]))('%s matches its schema', (_id, doc) => {
    expect(kubernetesSchemaProblems(doc as Any)).toEqual([]);
  });

  it('catches a wrongly typed field and an unknown kind', () => {
    const broken = structuredClone(find('Deployment', 'worker'));
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'eighty';
    expect(kubernetesSchemaProblems(broken).join()).toMatch(/containerPort must be integer/);
    expect(kubernetesSchemaProblems({ apiVersion: 'x/v1', kind: 'Thing', metadata: { name: 't' } })).toEqual([
      'x/v1/Thing t: no schema known for this kind',
    ]);
  });

  it('validates external-secrets v1 objects with the v1beta1 schema, and still catches errors', () => {
    const es = structuredClone(find('ExternalSecret', 'spillway-secrets'));
    expect(es.apiVersion).toBe('external-secrets.io/v1');
    expect(kubernetesSchemaProblems(es)).toEqual([]);
    es.spec.data[0].remoteRef = { property: 'DATABASE_URL' };
    expect(kubernetesSchemaProblems(es).join()).toMatch(/remoteRef must have required property key/);
  });

  it('renders every object kind the EKS target needs', () => {
    const kinds = [...new Set(docs.map((d) => `${d.apiVersion} ${d.kind}`))].sort();
    expect(kinds).toEqual([
      'apps/v1 Deployment',
      'autoscaling/v2 HorizontalPodAutoscaler',
      'batch/v1 Job',
      'external-secrets.io/v1 ExternalSecret',
      'external-secrets.io/v1 SecretStore',
      'keda.sh/v1alpha1 ScaledObject',
      'keda.sh/v1alpha1 TriggerAuthentication',
      'networking.k8s.io/v1 Ingress',
      'networking.k8s.io/v1 NetworkPolicy',
      'policy/v1 PodDisruptionBudget',
      'rbac.authorization.k8s.io/v1 Role',
      'rbac.authorization.k8s.io/v1 RoleBinding',
      'v1 ConfigMap',
      'v1 Namespace',
      'v1 Service',
      'v1 ServiceAccount',
    ]);
    expect(manifestObjects(spillway)).toHaveLength(docs.length);
  });
});

describe('EKS workloads', () => {
  // The public service's rollout objects carry its slot (blue/green).
  it.each(['absorber-blue', 'worker'])('%s: sized, probed, draining, locked down', (name) => {
    const pod = find('Deployment', name).spec.template.spec;
    const c = pod.containers[0];
    expect(c.resources).toEqual({ requests: { cpu: '200m', memory: '256Mi' }, limits: { cpu: '500m', memory: '512Mi' } });
    expect(c.livenessProbe.httpGet.path).toBe('/health/live');
    expect(c.readinessProbe.httpGet.path).toBe('/health/ready');
    expect(c.startupProbe.httpGet.path).toBe('/health/live');
    expect(c.lifecycle.preStop.exec.command).toEqual(['sleep', '10']);
    // preStop 10 s + SHUTDOWN_TIMEOUT_MS 25 s + 5 s margin.
    expect(pod.terminationGracePeriodSeconds).toBe(40);
    expect(c.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.serviceAccountName).toBe(`spillway-${name.replace('-blue', '')}`);
    // Secrets only by reference; plain env only through the ConfigMap.
    for (const e of c.env) expect(Object.keys(e.valueFrom)).toEqual(['secretKeyRef']);
    expect(c.env.some((e: Any) => 'value' in e)).toBe(false);
    expect(find('ConfigMap', `${name}-env`).data.SHUTDOWN_TIMEOUT_MS).toBe('25000');
  });

  it('worker env names its pod lanes (no app migrates, so no RUN_MIGRATIONS)', () => {
    // `low` runs as a Lambda function on EKS (deploy/spillway.ts), so the pods leave it out.
    expect(find('ConfigMap', 'worker-env').data).toMatchObject({ WORKER_LANES: 'critical,normal', QUEUE_DRIVER: 'sqs' });
    expect(find('ConfigMap', 'worker-env').data.RUN_MIGRATIONS).toBeUndefined();
  });

  it('migrations: a Job per image, locked down, before the workloads, reaching Postgres only', () => {
    const jobs = docs.filter((d) => d.kind === 'Job');
    expect(jobs).toHaveLength(1);
    const job = jobs[0];
    expect(job.metadata.name).toMatch(/^spillway-migrate-[0-9a-f]{10}$/);
    const pod = job.spec.template.spec;
    const c = pod.containers[0];
    expect(c.command).toEqual(['node', 'dist/libs/db/src/migrate.js']);
    expect(c.image).toBe(find('Deployment', 'worker').spec.template.spec.containers[0].image);
    expect(c.env).toEqual([{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'spillway-secrets', key: 'DATABASE_URL' } } }]);
    expect(c.securityContext).toEqual(find('Deployment', 'worker').spec.template.spec.containers[0].securityContext);
    expect(pod.restartPolicy).toBe('OnFailure');
    expect(docs.indexOf(job)).toBeLessThan(docs.findIndex((d) => d.kind === 'Deployment'));
    const policy = find('NetworkPolicy', 'spillway-migrate').spec;
    expect(policy.podSelector.matchLabels['app.kubernetes.io/component']).toBe('migrate');
    expect(policy.ingress).toBeUndefined();
    expect(policy.egress.map((e: Any) => e.ports[0].port)).toEqual([5432]);
    // A new image is a new Job (Jobs are immutable); the same image renders the same name.
    const next = structuredClone(spillway);
    next.target.image = `${next.target.image}-next`;
    const names = (d: typeof spillway) => manifestObjects(d).filter((o) => o.kind === 'Job').map((o) => (o.metadata as Any).name);
    expect(names(next)).not.toEqual([job.metadata.name]);
    expect(names(spillway)).toEqual([job.metadata.name]);
  });

  it('a ServiceAccount per service, bound to its IAM role by the access stack (no IRSA annotation)', () => {
    for (const name of ['absorber', 'worker']) {
      expect(find('ServiceAccount', `spillway-${name}`).metadata.annotations).toBeUndefined();
      expect(find('Deployment', name === 'absorber' ? 'absorber-blue' : name).spec.template.spec.serviceAccountName).toBe(`spillway-${name}`);
    }
  });

  it('the namespace asks for the ALB readiness gate; pods spread across zones', () => {
    expect(find('Namespace', 'spillway').metadata.labels['elbv2.k8s.aws/pod-readiness-gate-inject']).toBe('enabled');
    for (const name of ['absorber-blue', 'worker']) {
      const [spread] = find('Deployment', name).spec.template.spec.topologySpreadConstraints;
      expect(spread).toMatchObject({ topologyKey: 'topology.kubernetes.io/zone', maxSkew: 1 });
      expect(spread.labelSelector.matchLabels).toEqual(find('Deployment', name).spec.selector.matchLabels);
    }
  });

  it('absorber HPA: 5 to 50 at 70% CPU', () => {
    const spec = find('HorizontalPodAutoscaler', 'absorber-blue').spec;
    expect([spec.minReplicas, spec.maxReplicas, spec.metrics[0].resource.target.averageUtilization]).toEqual([5, 50, 70]);
  });

  it('ALB Ingress: internet-facing, ip targets, ready check, TLS, weighted blue/green', () => {
    const ing = find('Ingress', 'absorber');
    const a = ing.metadata.annotations;
    expect(a['alb.ingress.kubernetes.io/scheme']).toBe('internet-facing');
    expect(a['alb.ingress.kubernetes.io/target-type']).toBe('ip');
    expect(a['alb.ingress.kubernetes.io/healthcheck-path']).toBe('/health/ready');
    expect(ing.spec.tls).toEqual([{ hosts: ['ingest.example.com'] }]);
    const groups = JSON.parse(a['alb.ingress.kubernetes.io/actions.absorber-weighted']).forwardConfig.targetGroups;
    expect(groups.map((g: Any) => [g.serviceName, g.weight])).toEqual([['absorber-blue', 100], ['absorber-green', 0]]);
    for (const g of groups) expect(find('Service', g.serviceName)).toBeDefined();
    expect(ing.spec.rules[0].http.paths[0].backend.service).toEqual({ name: 'absorber-weighted', port: { name: 'use-annotation' } });
  });

  it('blue/green: the slot Services select the slot the rollout labels its pods with', () => {
    const pods = find('Deployment', 'absorber-blue').spec;
    expect(pods.selector.matchLabels['spillway.dev/slot']).toBe('blue');
    expect(pods.template.metadata.labels['spillway.dev/slot']).toBe('blue');
    expect(find('Service', 'absorber-blue').spec.selector['spillway.dev/slot']).toBe('blue');
    expect(find('Service', 'absorber-green').spec.selector['spillway.dev/slot']).toBe('green');
    expect(find('HorizontalPodAutoscaler', 'absorber-blue').spec.scaleTargetRef.name).toBe('absorber-blue');
    expect(find('Service', 'absorber').spec.selector['spillway.dev/slot']).toBeUndefined();
  });

  it('NetworkPolicies: default deny, DNS, and per-service allows', () => {
    expect(find('NetworkPolicy', 'default-deny').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    const worker = find('NetworkPolicy', 'worker').spec;
    expect(worker.egress.map((e: Any) => e.ports[0].port)).toEqual([5432, 443]);
    // The absorber does not wait for Postgres, but holds DATABASE_URL (SQS idempotency keys): it may reach it.
    expect(find('NetworkPolicy', 'absorber').spec.egress.map((e: Any) => e.ports[0].port)).toEqual([5432, 443]);
  });

  it('the absorber admits its API port from the ALB subnets only, and its metrics port from Prometheus only', () => {
    expect(find('NetworkPolicy', 'absorber').spec.ingress).toEqual([
      { from: ['10.0.0.0/20', '10.0.16.0/20', '10.0.32.0/20'].map((cidr) => ({ ipBlock: { cidr } })), ports: [{ protocol: 'TCP', port: 8080 }] },
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }],
        ports: [{ protocol: 'TCP', port: 9464 }],
      },
    ]);
  });

  it('no pod mounts a Kubernetes API token; the absorber has a per-tenant rate limit', () => {
    const pods = docs.filter((d) => ['Deployment', 'Job'].includes(d.kind)).map((d) => [d.metadata.name, d.spec.template.spec.automountServiceAccountToken]);
    expect(pods.length).toBeGreaterThan(2);
    for (const [name, automount] of pods) expect([name, automount]).toEqual([name, false]);
    expect(Number(find('ConfigMap', 'absorber-blue-env').data.TENANT_RATE_LIMIT)).toBeGreaterThan(0);
  });
});

describe('EKS workers with Lambda lanes', () => {
  type Def = typeof spillway;
  const withLambda = (lanes: Array<'critical' | 'normal' | 'low'>): Def => {
    const def = structuredClone(spillway);
    const worker = def.services.find((s) => s.name === 'worker')!;
    worker.lambda = { ...worker.lambda!, lanes, batchSize: 10, batchingWindowSeconds: 0 };
    return def;
  };
  const objects = (def: Def) => manifestObjects(def) as Any[];
  const workerObjects = (def: Def) => objects(def).filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'worker');

  it('some lanes: the pods and their scaler leave those lanes out', () => {
    const worker = find('ScaledObject', 'worker');
    expect(worker.spec.triggers.map((t: Any) => t.name)).toEqual(['critical', 'normal']);
    const two = objects(withLambda(['critical', 'low']));
    const scaler = two.find((o) => o.kind === 'ScaledObject' && o.metadata.name === 'worker')!;
    expect(scaler.spec.triggers.map((t: Any) => t.metadata.queueURL)).toEqual(['https://sqs.eu-central-1.amazonaws.com/123456789012/spillway-normal']);
    expect(two.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'worker-env')!.data.WORKER_LANES).toBe('normal');
  });

  it('every lane: no Deployment, ScaledObject, Service, PDB, ConfigMap, NetworkPolicy or ServiceAccount for the worker', () => {
    const all = withLambda(['critical', 'normal', 'low']);
    expect(workerObjects(all)).toEqual([]);
    expect(workerObjects(spillway).map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'NetworkPolicy', 'PodDisruptionBudget', 'ScaledObject', 'Service', 'ServiceAccount']);
    // The absorber, the migration Job and the shared objects stay; every object still matches its schema.
    const rest = objects(all);
    expect(rest.find((o) => o.kind === 'Deployment' && o.metadata.name === 'absorber-blue')).toBeDefined();
    expect(rest.filter((o) => o.kind === 'Job')).toHaveLength(1);
    for (const o of rest) expect(kubernetesSchemaProblems(o)).toEqual([]);
  });

  it('Hetzner keeps the pod worker for every lane: the compose file does not change', () => {
    const all = withLambda(['critical', 'normal', 'low']);
    const box = composeDefinition({ ...definition, services: all.services });
    expect(renderCompose(box)).toBe(readFileSync(join(ROOT, OUTPUT_PATHS.compose), 'utf8'));
    expect(renderCompose(box)).toContain('WORKER_LANES: critical,normal,low');
  });
});
