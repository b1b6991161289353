// A webhook source of the definition reaches both targets the same way, and a half-declared one
// is refused before anything renders.
import { manifestObjects } from '../eks/chart';
import { composeObject } from '../hetzner/compose';
import { spillway } from '../spillway';
import { SpillwayDefinition } from './definition';
import { definitionProblems } from './validate';
import { composeDefinition, eksDefinition } from './targets';

type Any = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function changed(edit: (d: SpillwayDefinition) => void): SpillwayDefinition {
  const def = structuredClone(spillway);
  edit(def);
  return def;
}

const withStripe = (d: SpillwayDefinition) => {
  d.webhooks = { ...d.webhooks, pay: { provider: 'stripe', routes: { '*': 'critical', 'charge.*': 'normal' }, rateLimit: 50 } };
  d.secrets.WEBHOOK_SECRET_PAY = { remoteKey: 'spillway/prod', property: 'WEBHOOK_SECRET_PAY' };
  d.services[0].secrets.push('WEBHOOK_SECRET_PAY');
};

describe('webhooks in the definition', () => {
  it('renders sources, rates, lane routes and the secret alike for Compose and Kubernetes', () => {
    const def = changed(withStripe);
    const compose = (composeObject(composeDefinition(def)).services as Any).absorber;
    const configMap = manifestObjects(eksDefinition(def)).find((o: Any) => o.kind === 'ConfigMap' && o.metadata.name === 'absorber-blue-env') as Any;
    const workerMap = manifestObjects(eksDefinition(def)).find((o: Any) => o.kind === 'ConfigMap' && o.metadata.name === 'worker-env') as Any;
    for (const env of [compose.environment, configMap.data]) {
      expect(env.WEBHOOK_SOURCES).toBe('github:github,pay:stripe');
      expect(env.WEBHOOK_RATE_LIMITS).toBe('github=200,pay=50');
      expect(env.LANE_ROUTES).toContain('pay.*=critical,pay.charge.*=normal');
    }
    // Workers route nothing themselves but check LANE_ROUTES against their handlers; they never see the sources or secrets.
    expect(workerMap.data.LANE_ROUTES).toContain('pay.*=critical');
    expect(workerMap.data.WEBHOOK_SOURCES).toBeUndefined();
    const absorber = manifestObjects(eksDefinition(def)).find((o: Any) => o.kind === 'Deployment' && o.metadata.name === 'absorber-blue') as Any;
    expect(absorber.spec.template.spec.containers[0].env.map((e: Any) => e.name)).toContain('WEBHOOK_SECRET_PAY');
  });

  it.each<[string, (d: SpillwayDefinition) => void, string]>([
    ['a source whose secret is not declared', (d) => (d.webhooks = { pay: { provider: 'stripe' } }), 'secrets.WEBHOOK_SECRET_PAY: required by webhooks'],
    [
      'a source whose secret the absorber does not get',
      (d) => {
        withStripe(d);
        d.services[0].secrets.pop();
      },
      'services (absorber).secrets: must list WEBHOOK_SECRET_PAY (webhooks)',
    ],
    ['a meta source without its verify token', (d) => (d.webhooks = { ...d.webhooks, wa: { provider: 'meta' } }), 'secrets.WEBHOOK_VERIFY_TOKEN_WA: required by webhooks'],
    ['an unknown provider', (d) => (d.webhooks = { github: { provider: 'gitlab' as never } }), 'webhooks.github.provider: one of github, stripe'],
    ['a route to an unknown lane', (d) => (d.webhooks = { github: { provider: 'github', routes: { push: 'fast' as never } } }), 'webhooks.github.routes.push: unknown lane "fast"'],
    ['setting WEBHOOK_SOURCES by hand', (d) => (d.env.WEBHOOK_SOURCES = 'x:github'), 'env.WEBHOOK_SOURCES: computed from'],
  ])('refuses %s', (_what, edit, message) => {
    expect(definitionProblems(changed(edit)).join('\n')).toContain(message);
  });
});
