// The rendered manifests and what the AWS side binds into the cluster, checked against each other:
// a name one object points at must be an object the cluster will have (deploy/eks/references.ts).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { helmReleases } from '../aws/addons';
import { AWS_RENDERED } from '../aws/app';
import { OUTPUT_PATHS, ROOT } from '../outputs';
import { spillway as definition } from '../spillway';
import { eksDefinition } from '../model/targets';
import { AccountBinding, bindingProblems, ExternalObject, referenceProblems } from './references';

const spillway = eksDefinition(definition);

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const docs = parseAllDocuments(readFileSync(join(ROOT, OUTPUT_PATHS.manifests), 'utf8')).map((d) => d.toJS() as Doc);
const templates = readdirSync(join(ROOT, AWS_RENDERED))
  .filter((f) => f.endsWith('.template.json'))
  .map((f) => ({ file: f, resources: Object.entries(JSON.parse(readFileSync(join(ROOT, AWS_RENDERED, f), 'utf8')).Resources ?? {}) as Array<[string, Doc]> }));

/**
 * ServiceAccounts an EKS add-on creates itself, by add-on name. amazon-cloudwatch-observability:
 * its chart (aws-observability/helm-charts, charts/amazon-cloudwatch-observability) runs the agent
 * as `cloudwatch-agent` in `amazon-cloudwatch`.
 */
const ADDON_ACCOUNTS: Record<string, { namespace: string; serviceAccounts: string[] }> = {
  'amazon-cloudwatch-observability': { namespace: 'amazon-cloudwatch', serviceAccounts: ['cloudwatch-agent'] },
};

/** What the Helm releases of `deploy:eks -- --bootstrap` create: the ServiceAccount each is told to name. */
function helmAccounts(): ExternalObject[] {
  return helmReleases(spillway).flatMap((r) =>
    Object.entries(r.values)
      .filter(([key]) => /(^|\.)serviceAccount(\.operator)?\.name$/.test(key))
      .map(([, name]) => ({ namespace: r.namespace, kind: 'ServiceAccount', name, madeBy: `Helm release ${r.release}` })),
  );
}

/** Objects an operator applies once by hand from a doc (docs/chaos.md: FIS's ServiceAccount and RBAC). */
function handAppliedObjects(doc: string): ExternalObject[] {
  const text = readFileSync(join(ROOT, doc), 'utf8');
  const blocks = [...text.matchAll(/kubectl apply -f - <<'EOF'\n([\s\S]*?)\nEOF/g)].map((m) => m[1]);
  return blocks.flatMap((b) =>
    parseAllDocuments(b).map((d) => {
      const o = d.toJS() as Doc;
      return { namespace: o.metadata?.namespace ?? 'default', kind: o.kind, name: o.metadata?.name, madeBy: `${doc} (applied once by hand)` };
    }),
  );
}

const addonAccounts = (): ExternalObject[] =>
  Object.entries(ADDON_ACCOUNTS).flatMap(([addon, a]) => a.serviceAccounts.map((name) => ({ namespace: a.namespace, kind: 'ServiceAccount', name, madeBy: `EKS add-on ${addon}` })));

/** Every ServiceAccount the rendered CloudFormation binds an IAM role to (EKS Pod Identity). */
function renderedBindings(): AccountBinding[] {
  const out: AccountBinding[] = [];
  for (const { file, resources } of templates) {
    for (const [logicalId, r] of resources) {
      const at = `${file} ${logicalId}`;
      if (r.Type === 'AWS::EKS::PodIdentityAssociation') out.push({ namespace: r.Properties.Namespace, serviceAccount: r.Properties.ServiceAccount, boundBy: at });
      // FIS pod actions start their pod under this account in the targets' namespace.
      if (r.Type === 'AWS::FIS::ExperimentTemplate') {
        for (const action of Object.values(r.Properties.Actions ?? {}) as Doc[]) {
          const account = action.Parameters?.kubernetesServiceAccount;
          const target = r.Properties.Targets?.[Object.values(action.Targets ?? {})[0] as string];
          if (account) out.push({ namespace: target?.Parameters?.namespace ?? 'default', serviceAccount: account, boundBy: at });
        }
      }
      if (r.Type === 'AWS::EKS::Addon') {
        for (const a of r.Properties.PodIdentityAssociations ?? []) {
          const known = ADDON_ACCOUNTS[r.Properties.AddonName];
          out.push({ namespace: known?.namespace ?? `<namespace of add-on ${r.Properties.AddonName} not known here>`, serviceAccount: a.ServiceAccount, boundBy: at });
        }
      }
    }
  }
  return out;
}

/** The pods a FIS experiment targets by label, per template: they must exist for the experiment to test anything. */
function fisPodTargets(): Array<{ at: string; namespace: string; selector: Record<string, string> }> {
  return templates.flatMap(({ file, resources }) =>
    resources
      .filter(([, r]) => r.Type === 'AWS::FIS::ExperimentTemplate')
      .flatMap(([logicalId, r]) =>
        (Object.values(r.Properties.Targets ?? {}) as Doc[])
          .filter((t) => t.ResourceType === 'aws:eks:pod' && t.Parameters?.selectorType === 'labelSelector')
          .map((t) => ({
            at: `${file} ${logicalId}`,
            namespace: t.Parameters.namespace,
            selector: Object.fromEntries(String(t.Parameters.selectorValue).split(',').map((kv) => kv.split('=') as [string, string])),
          })),
      ),
  );
}

const external = () => [...helmAccounts(), ...addonAccounts(), ...handAppliedObjects('docs/chaos.md')];
const find = (kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name) as Doc;
const problemsWith = (edit: (copy: Doc[]) => void) => {
  const copy = structuredClone(docs);
  edit(copy);
  return referenceProblems(copy, external());
};
const at = (copy: Doc[], kind: string, name: string) => copy.find((d) => d.kind === kind && d.metadata.name === name) as Doc;
const job = (copy: Doc[]) => copy.find((d) => d.kind === 'Job') as Doc;

describe('references in the rendered manifests', () => {
  it('every ServiceAccount, Secret, ConfigMap, scale target, Ingress backend, PDB selector and store resolves', () => {
    expect(referenceProblems(docs, external())).toEqual([]);
  });

  it('every ServiceAccount the AWS stacks bind a role to is created by the manifests, a Helm release, an add-on or a documented manual step', () => {
    const bindings = renderedBindings();
    // The absorber, the worker, the four controllers and the CloudWatch agent.
    expect(bindings.length).toBeGreaterThanOrEqual(7);
    expect(bindingProblems(bindings, docs, external())).toEqual([]);
  });

  it("every FIS pod action's label selector matches a rendered pod template in its namespace", () => {
    const targets = fisPodTargets();
    expect(targets.length).toBeGreaterThanOrEqual(2);
    const unmatched = targets.filter((t) =>
      !docs.some((d) => d.metadata?.namespace === t.namespace && ['Deployment', 'Job'].includes(d.kind) && Object.entries(t.selector).every(([k, v]) => d.spec.template.metadata.labels?.[k] === v)),
    );
    expect(unmatched.map((t) => `${t.at}: ${JSON.stringify(t.selector)} in ${t.namespace}`)).toEqual([]);
  });

  it('the migrate Job runs as its own ServiceAccount: no IAM role bound, no API token mounted', () => {
    const pod = job(docs).spec.template.spec;
    const account = find('ServiceAccount', pod.serviceAccountName);
    expect(account.automountServiceAccountToken).toBe(false);
    expect(renderedBindings().filter((b) => b.serviceAccount === pod.serviceAccountName)).toEqual([]);
  });

  it.each<[string, (copy: Doc[]) => void, string]>([
    ['a Job naming an account never rendered', (c) => (job(c).spec.template.spec.serviceAccountName = 'spillway'), 'serviceAccountName "spillway" is no ServiceAccount in namespace spillway'],
    ['a secretKeyRef to a Secret nobody makes', (c) => (at(c, 'Deployment', 'worker').spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.name = 'nope'), 'Secret "nope" is made by no Secret or ExternalSecret target'],
    ['a secretKeyRef to a key the ExternalSecret does not map', (c) => (at(c, 'Deployment', 'worker').spec.template.spec.containers[0].env[0].valueFrom.secretKeyRef.key = 'NOPE'), 'Secret "spillway-secrets" has no key "NOPE"'],
    ['an envFrom secretRef nobody makes', (c) => at(c, 'Deployment', 'worker').spec.template.spec.containers[0].envFrom.push({ secretRef: { name: 'nope' } }), 'envFrom: Secret "nope"'],
    ['a configMapRef to a missing ConfigMap', (c) => (at(c, 'Deployment', 'worker').spec.template.spec.containers[0].envFrom[0].configMapRef.name = 'gone'), 'ConfigMap "gone" does not exist'],
    ['a configMapKeyRef to a missing key', (c) => at(c, 'Deployment', 'worker').spec.template.spec.containers[0].env.push({ name: 'X', valueFrom: { configMapKeyRef: { name: 'worker-env', key: 'NOPE' } } }), 'ConfigMap "worker-env" has no key "NOPE"'],
    ['an HPA aimed at a missing Deployment', (c) => (at(c, 'HorizontalPodAutoscaler', 'absorber-blue').spec.scaleTargetRef.name = 'absorber-green'), 'scaleTargetRef Deployment "absorber-green" does not exist'],
    ['a ScaledObject aimed at a missing Deployment', (c) => (at(c, 'ScaledObject', 'worker').spec.scaleTargetRef.name = 'workers'), 'scaleTargetRef Deployment "workers" does not exist'],
    ['an Ingress action to a missing Service', (c) => {
      const ing = at(c, 'Ingress', 'absorber');
      const key = 'alb.ingress.kubernetes.io/actions.absorber-weighted';
      ing.metadata.annotations[key] = ing.metadata.annotations[key].replace('absorber-green', 'absorber-teal');
    }, 'Service "absorber-teal" does not exist'],
    ['an Ingress backend with no action annotation', (c) => (at(c, 'Ingress', 'absorber').spec.rules[0].http.paths[0].backend.service.name = 'other'), 'backend "other" uses an annotation action, but alb.ingress.kubernetes.io/actions.other is not set'],
    ['an Ingress backend on a Service port that does not exist', (c) => (at(c, 'Ingress', 'absorber').spec.rules[0].http.paths[0].backend.service = { name: 'absorber', port: { number: 8443 } }), 'Service "absorber" has no port 8443'],
    ['a PDB selecting no pods', (c) => (at(c, 'PodDisruptionBudget', 'worker').spec.selector.matchLabels['app.kubernetes.io/component'] = 'workers'), 'selector {"app.kubernetes.io/component":"workers"'],
    ['an ExternalSecret on a missing store', (c) => (at(c, 'ExternalSecret', 'spillway-secrets').spec.secretStoreRef.name = 'vault'), 'secretStoreRef SecretStore "vault" does not exist'],
    ['a ScaledObject on a missing TriggerAuthentication', (c) => (at(c, 'ScaledObject', 'worker').spec.triggers[0].authenticationRef.name = 'none'), 'authenticationRef "none" does not exist'],
  ])('names %s', (_what, edit, message) => {
    expect(problemsWith(edit)).toEqual(expect.arrayContaining([expect.stringContaining(message)]));
  });

  it('names a role bound to a ServiceAccount nothing creates', () => {
    const bindings = [...renderedBindings(), { namespace: 'spillway', serviceAccount: 'spillway-migrate-x', boundBy: 'test' }];
    expect(bindingProblems(bindings, docs, external())).toEqual(['test: ServiceAccount spillway/spillway-migrate-x is created by no manifest, Helm release, add-on or documented manual step']);
    // A Helm release told to name another account leaves the controller's role bound to nothing.
    const renamed = external().filter((e) => e.name !== 'keda-operator');
    expect(bindingProblems(renderedBindings(), docs, renamed)).toEqual([expect.stringMatching(/spillway-access\.template\.json \w+: ServiceAccount keda\/keda-operator is created by no/)]);
  });
});
