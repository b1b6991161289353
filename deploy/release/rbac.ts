// The release's Kubernetes rights, rendered with the manifests (deploy:eks, an operator with the
// cluster-admin deploy role, applies them; a release never applies RBAC). The CI roles' access
// entries carry only a Kubernetes group (deploy/aws/ci.ts); these Roles are what those groups may do:
//   <name>-release-deploy  get, create and patch each kind the release applies to the idle slot
//                          (derived from those objects, so a new kind is covered or the spec says
//                          so), wait for the Job and the rollout, the slot Service's proxy for the
//                          smoke test. No Secrets, no Ingress, no RBAC.
//   <name>-release-shift   the public Ingress (the weights), the history ConfigMap, and reading the
//                          two slot Deployments' images: nothing else.
import '../eks/esm-models'; // first: lets CommonJS resolve kubernetes-models' ESM-only exports
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { EksDefinition } from '../model/definition';
import { commonLabels } from '../eks/names';
import { HISTORY_CONFIGMAP } from './history';

export type ReleaseDuty = 'deploy' | 'shift';

/** The Kubernetes group of a CI role's access entry; the RoleBinding of the same duty names it. */
export const kubernetesGroup = (def: EksDefinition, duty: ReleaseDuty) => `${def.name}-release-${duty}`;

/** Kinds a release leaves alone: cluster-scoped or an operator's (RBAC), and the Ingress (the shift's). */
export const NOT_RELEASED = ['Namespace', 'Role', 'RoleBinding', 'Ingress'];

interface Applied {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string };
}

/** `apps/v1` -> `apps`, `v1` -> '' (the core group). */
const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');

/** The resource (plural) of a kind, as RBAC names it. */
export function resourceOf(kind: string): string {
  const k = kind.toLowerCase();
  if (k.endsWith('y')) return `${k.slice(0, -1)}ies`;
  if (k.endsWith('s')) return `${k}es`;
  return `${k}s`;
}

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };

function deployRules(objects: Applied[]): Rule[] {
  const byGroup = new Map<string, Set<string>>();
  for (const o of objects.filter((o) => !NOT_RELEASED.includes(o.kind))) {
    const group = groupOf(o.apiVersion);
    byGroup.set(group, (byGroup.get(group) ?? new Set()).add(resourceOf(o.kind)));
  }
  const applied = [...byGroup].sort(([a], [b]) => a.localeCompare(b)).map(([group, resources]) => ({ apiGroups: [group], resources: [...resources].sort(), verbs: ['create', 'get', 'patch'] }));
  return [
    ...applied,
    // kubectl wait (the migration Job) and rollout status list and watch the one object.
    { apiGroups: ['batch'], resources: ['jobs'], verbs: ['list', 'watch'] },
    { apiGroups: ['apps'], resources: ['deployments'], verbs: ['list', 'watch'] },
    // The smoke test: GET /health/ready through the slot Service (API server proxy).
    { apiGroups: [''], resources: ['services/proxy'], verbs: ['get'] },
  ];
}

function shiftRules(def: EksDefinition, objects: Applied[]): Rule[] {
  const ingresses = objects.filter((o) => o.kind === 'Ingress').map((o) => o.metadata!.name!);
  const slots = def.services.filter((s) => s.public).flatMap((s) => [`${s.name}-blue`, `${s.name}-green`]);
  return [
    { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['get', 'patch'], resourceNames: ingresses },
    { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'patch'], resourceNames: [HISTORY_CONFIGMAP] },
    // The first shift creates the history; RBAC cannot limit create by name.
    { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
    { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get'], resourceNames: slots },
  ];
}

/** A Role and its RoleBinding per duty, in the app's namespace, from the objects the chart renders. */
export function releaseRbac(def: EksDefinition, objects: Applied[]): Array<Role | RoleBinding> {
  const namespace = def.target.namespace;
  const labels = { ...commonLabels(def), 'app.kubernetes.io/component': 'release' };
  const rules: Record<ReleaseDuty, Rule[]> = { deploy: deployRules(objects), shift: shiftRules(def, objects) };
  return (['deploy', 'shift'] as const).flatMap((duty) => {
    const name = kubernetesGroup(def, duty);
    return [
      new Role({ metadata: { name, namespace, labels }, rules: rules[duty] }),
      new RoleBinding({
        metadata: { name, namespace, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name }],
      }),
    ];
  });
}
