// Change one field of the definition and see it in both targets' outputs.
import { manifestObjects } from './eks/chart';
import { composeObject } from './hetzner/compose';
import { SpillwayDefinition } from './model/definition';
import { renderAll } from './outputs';
import { spillway } from './spillway';
import { composeDefinition, eksDefinition, targetOf } from './model/targets';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function changed(edit: (d: SpillwayDefinition) => void): SpillwayDefinition {
  const def = structuredClone(spillway);
  edit(def);
  return def;
}

const compose = (def: SpillwayDefinition) => composeObject(composeDefinition(def)).services as Any;
const k8s = (def: SpillwayDefinition, kind: string, name: string): Any => {
  const found = manifestObjects(eksDefinition(def)).find((o: Any) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found as Any;
};
const container = (def: SpillwayDefinition, name: string) => k8s(def, 'Deployment', name).spec.template.spec.containers[0];

describe('one field, both targets', () => {
  it('port', () => {
    const def = changed((d) => (d.services[0].port = 9090));
    const absorber = compose(def).absorber;
    expect(absorber.ports).toEqual(['127.0.0.1:9090:9090']);
    expect(absorber.environment.PORT).toBe('9090');
    expect(absorber.healthcheck.test.join(' ')).toContain('http://127.0.0.1:9090/health/ready');
    expect(compose(def).caddy.command).toContain('absorber:9090');
    expect(container(def, 'absorber-blue').ports).toEqual([
      { name: 'http', containerPort: 9090, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9464, protocol: 'TCP' },
    ]);
    expect(k8s(def, 'ConfigMap', 'absorber-blue-env').data.PORT).toBe('9090');
    // The API port from the ALB's subnets, the metrics port from Prometheus: one rule each.
    expect(k8s(def, 'NetworkPolicy', 'absorber').spec.ingress.map((r: Any) => r.ports)).toEqual([
      [{ protocol: 'TCP', port: 9090 }],
      [{ protocol: 'TCP', port: 9464 }],
    ]);
  });

  it('metrics port: METRICS_PORT, never published on Hetzner, scraped through the in-cluster Service on EKS', () => {
    const def = changed((d) => (d.services[0].metricsPort = 9100));
    const absorber = compose(def).absorber;
    expect(absorber.environment.METRICS_PORT).toBe('9100');
    expect(absorber.ports).toEqual(['127.0.0.1:8080:8080']);
    expect(container(def, 'absorber-blue').ports).toContainEqual({ name: 'metrics', containerPort: 9100, protocol: 'TCP' });
    expect(k8s(def, 'Deployment', 'absorber-blue').spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '9100',
      'prometheus.io/path': '/metrics',
    });
    expect(k8s(def, 'Service', 'absorber').spec.ports).toContainEqual({ name: 'metrics', port: 9100, targetPort: 'metrics', protocol: 'TCP' });
    // The ALB forwards to the slot Services: they carry the API port only.
    for (const slot of ['absorber-blue', 'absorber-green']) {
      expect(k8s(def, 'Service', slot).spec.ports.map((p: Any) => p.targetPort)).toEqual(['http']);
    }
    expect(k8s(def, 'NetworkPolicy', 'absorber').spec.ingress[1].ports).toEqual([{ protocol: 'TCP', port: 9100 }]);
    // The worker's metrics stay on its health port.
    expect(k8s(def, 'Deployment', 'worker').spec.template.metadata.annotations['prometheus.io/port']).toBe('8081');
  });

  it('replicas (autoscaling range)', () => {
    const def = changed((d) => {
      d.services[0].autoscaling.max = 80;
      d.services[1].autoscaling.min = 3;
    });
    expect(compose(def).absorber.labels['kompose.hpa.replicas.max']).toBe('80');
    // Queue-depth scaling is not something kompose can express: no labels, so no CPU HPA from it.
    expect(compose(def).worker.labels).toBeUndefined();
    expect(k8s(def, 'HorizontalPodAutoscaler', 'absorber-blue').spec.maxReplicas).toBe(80);
    expect(k8s(def, 'ScaledObject', 'worker').spec.minReplicaCount).toBe(3);
  });

  it('an env var', () => {
    const def = changed((d) => (d.env.LOG_LEVEL = 'debug'));
    expect(compose(def).absorber.environment.LOG_LEVEL).toBe('debug');
    expect(compose(def).worker.environment.LOG_LEVEL).toBe('debug');
    expect(k8s(def, 'ConfigMap', 'absorber-blue-env').data.LOG_LEVEL).toBe('debug');
    expect(k8s(def, 'ConfigMap', 'worker-env').data.LOG_LEVEL).toBe('debug');
    // The pod template changes too, so the rollout picks the new ConfigMap up.
    const hash = (d: SpillwayDefinition) => k8s(d, 'Deployment', 'worker').spec.template.metadata.annotations;
    expect(hash(def)).not.toEqual(hash(spillway));
  });

  it('a secret reference', () => {
    const def = changed((d) => {
      d.secrets.WEBHOOK_TOKEN = { remoteKey: 'spillway/webhooks', property: 'token' };
      d.services[1].secrets.push('WEBHOOK_TOKEN');
    });
    expect(compose(def).worker['x-secrets']).toContain('WEBHOOK_TOKEN');
    expect(compose(def).worker.environment.WEBHOOK_TOKEN).toBeUndefined();
    expect(container(def, 'worker').env).toContainEqual({
      name: 'WEBHOOK_TOKEN',
      valueFrom: { secretKeyRef: { name: 'spillway-secrets', key: 'WEBHOOK_TOKEN' } },
    });
    expect(k8s(def, 'ExternalSecret', 'spillway-secrets').spec.data).toContainEqual({
      secretKey: 'WEBHOOK_TOKEN',
      remoteRef: { key: 'spillway/webhooks', property: 'token' },
    });
    // The worker's secret file example must name it before anything renders.
    expect(() => renderAll(def)).toThrow('deploy/hetzner/secrets/worker.env.example: WEBHOOK_TOKEN is missing or empty');
  });

  it('a new lane worker and a new route', () => {
    const def = changed((d) => {
      d.routes['billing.*'] = 'critical';
      d.services[1].lanes = ['normal', 'low'];
      d.services.push({ ...structuredClone(d.services[1]), name: 'worker-critical', lanes: ['critical'], port: 8082 });
      // A compose target places every service: its containers and limits on the box.
      const box = targetOf(d, 'hetzner', 'compose');
      box.services['worker-critical'] = structuredClone(box.services.worker);
    });
    const services = compose(def);
    expect(services['worker-critical'].environment).toMatchObject({ WORKER_LANES: 'critical', WORKER_HEALTH_PORT: '8082' });
    expect(services.worker.environment.WORKER_LANES).toBe('normal,low');
    expect(services.absorber.environment.LANE_ROUTES).toBe('payment.captured=critical,analytics.*=low,billing.*=critical,github.*=low,github.push=normal');
    expect(k8s(def, 'ConfigMap', 'absorber-blue-env').data.LANE_ROUTES).toContain('billing.*=critical');
    expect(container(def, 'worker-critical').command).toEqual(['node', 'dist/apps/worker/src/main.js']);
    const triggers = k8s(def, 'ScaledObject', 'worker-critical').spec.triggers;
    expect(triggers.map((t: Any) => t.metadata.queueURL)).toEqual([
      'https://sqs.eu-central-1.amazonaws.com/123456789012/spillway-critical.fifo',
    ]);
    expect(k8s(def, 'PodDisruptionBudget', 'worker-critical').spec.selector.matchLabels['app.kubernetes.io/component']).toBe(
      'worker-critical',
    );
  });
});

describe('blue/green slot', () => {
  it('a green rollout renders beside, not over, the blue one', () => {
    const def = changed((d) => (targetOf(d, 'eks', 'eks').slot = 'green'));
    const names = manifestObjects(eksDefinition(def)).map((o: Any) => `${o.kind}/${o.metadata.name}`);
    expect(names).toEqual(expect.arrayContaining(['Deployment/absorber-green', 'ConfigMap/absorber-green-env', 'PodDisruptionBudget/absorber-green']));
    expect(names).not.toContain('Deployment/absorber-blue');
    expect(k8s(def, 'HorizontalPodAutoscaler', 'absorber-green').spec.scaleTargetRef.name).toBe('absorber-green');
  });
});
