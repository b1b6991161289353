// Cross-object references in rendered Kubernetes manifests: every name one object points at must be
// an object the cluster will have. Reads plain parsed YAML, so it checks what `npm run synth` wrote,
// not what the renderer meant to write. Objects made outside the manifests (ServiceAccounts a Helm
// chart or an EKS add-on creates) come in as `external`.

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** An object the cluster has that the manifests do not render (namespace, kind, name). */
export interface ExternalObject {
  namespace: string;
  kind: string;
  name: string;
  /** Who makes it, for the problem text. */
  madeBy: string;
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'];
const ALB_ACTION = 'alb.ingress.kubernetes.io/actions.';

const id = (d: Doc) => `${d.kind} ${d.metadata?.namespace ? `${d.metadata.namespace}/` : ''}${d.metadata?.name}`;
const nsOf = (d: Doc) => d.metadata?.namespace ?? 'default';

/** The pod template of a workload, a Job or a CronJob; a bare Pod is its own template. */
function podTemplate(d: Doc): Doc | undefined {
  if (d.kind === 'Pod') return d;
  if (d.kind === 'CronJob') return d.spec?.jobTemplate?.spec?.template;
  if (d.kind === 'Job' || WORKLOAD_KINDS.includes(d.kind)) return d.spec?.template;
  return undefined;
}

/** Secret name -> the keys it will hold (undefined: keys not known, e.g. an ExternalSecret's dataFrom). */
function secretKeys(docs: Doc[], ns: string): Map<string, Set<string> | undefined> {
  const out = new Map<string, Set<string> | undefined>();
  for (const d of docs) {
    if (nsOf(d) !== ns) continue;
    if (d.kind === 'Secret') out.set(d.metadata.name, new Set([...Object.keys(d.data ?? {}), ...Object.keys(d.stringData ?? {})]));
    if (d.kind === 'ExternalSecret') {
      const name = d.spec?.target?.name ?? d.metadata.name;
      const keys = d.spec?.dataFrom?.length ? undefined : new Set<string>((d.spec?.data ?? []).map((e: Doc) => e.secretKey));
      out.set(name, keys);
    }
  }
  return out;
}

function configMapKeys(docs: Doc[], ns: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const d of docs) {
    if (d.kind === 'ConfigMap' && nsOf(d) === ns) out.set(d.metadata.name, new Set([...Object.keys(d.data ?? {}), ...Object.keys(d.binaryData ?? {})]));
  }
  return out;
}

const matches = (selector: Record<string, string>, labels: Record<string, string> | undefined) =>
  Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/** Problems with the references inside a pod template: ServiceAccount, Secrets, ConfigMaps. */
function podProblems(d: Doc, docs: Doc[], external: ExternalObject[], p: string[]): void {
  const pod = podTemplate(d)?.spec;
  if (!pod) return;
  const ns = nsOf(d);
  const has = (kind: string, name: string) =>
    docs.some((o) => o.kind === kind && o.metadata?.name === name && nsOf(o) === ns) ||
    external.some((e) => e.kind === kind && e.name === name && e.namespace === ns);
  const sa = pod.serviceAccountName ?? pod.serviceAccount;
  // `default` exists in every namespace; a pod naming no account runs as it.
  if (sa && sa !== 'default' && !has('ServiceAccount', sa)) p.push(`${id(d)}: serviceAccountName "${sa}" is no ServiceAccount in namespace ${ns}`);
  const secrets = secretKeys(docs, ns);
  const configMaps = configMapKeys(docs, ns);
  const secretRef = (where: string, name: string, key?: string, optional?: boolean) => {
    if (optional) return;
    if (!secrets.has(name) && !has('Secret', name)) return p.push(`${id(d)} ${where}: Secret "${name}" is made by no Secret or ExternalSecret target in ${ns}`);
    const keys = secrets.get(name);
    if (key !== undefined && keys && !keys.has(key)) p.push(`${id(d)} ${where}: Secret "${name}" has no key "${key}" (it holds ${[...keys].sort().join(', ') || 'none'})`);
  };
  const configMapRef = (where: string, name: string, key?: string, optional?: boolean) => {
    if (optional) return;
    if (!configMaps.has(name) && !has('ConfigMap', name)) return p.push(`${id(d)} ${where}: ConfigMap "${name}" does not exist in ${ns}`);
    const keys = configMaps.get(name);
    if (key !== undefined && keys && !keys.has(key)) p.push(`${id(d)} ${where}: ConfigMap "${name}" has no key "${key}"`);
  };
  for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
    const at = `container ${c.name}`;
    for (const from of c.envFrom ?? []) {
      if (from.secretRef) secretRef(`${at} envFrom`, from.secretRef.name, undefined, from.secretRef.optional);
      if (from.configMapRef) configMapRef(`${at} envFrom`, from.configMapRef.name, undefined, from.configMapRef.optional);
    }
    for (const e of c.env ?? []) {
      const s = e.valueFrom?.secretKeyRef;
      if (s) secretRef(`${at} env ${e.name}`, s.name, s.key, s.optional);
      const m = e.valueFrom?.configMapKeyRef;
      if (m) configMapRef(`${at} env ${e.name}`, m.name, m.key, m.optional);
    }
  }
  for (const v of pod.volumes ?? []) {
    if (v.secret) secretRef(`volume ${v.name}`, v.secret.secretName, undefined, v.secret.optional);
    if (v.configMap) configMapRef(`volume ${v.name}`, v.configMap.name, undefined, v.configMap.optional);
  }
}

/** HPA and KEDA ScaledObject targets: a workload of that kind and name in the same namespace. */
function scaleTargetProblems(d: Doc, docs: Doc[], p: string[]): void {
  if (d.kind !== 'HorizontalPodAutoscaler' && d.kind !== 'ScaledObject') return;
  const ref = d.spec?.scaleTargetRef ?? {};
  // KEDA defaults the target to an apps/v1 Deployment.
  const kind = ref.kind ?? 'Deployment';
  const found = docs.some((o) => o.kind === kind && o.metadata?.name === ref.name && nsOf(o) === nsOf(d));
  if (!found) p.push(`${id(d)}: scaleTargetRef ${kind} "${ref.name}" does not exist in ${nsOf(d)}`);
}

/** Ingress backends: a Service with that port, or an ALB action annotation whose target groups are such Services. */
function ingressProblems(d: Doc, docs: Doc[], p: string[]): void {
  if (d.kind !== 'Ingress') return;
  const ns = nsOf(d);
  const servicePort = (name: string, port: { name?: string; number?: number | string }, where: string) => {
    const svc = docs.find((o) => o.kind === 'Service' && o.metadata?.name === name && nsOf(o) === ns);
    if (!svc) return p.push(`${id(d)} ${where}: Service "${name}" does not exist in ${ns}`);
    const ports: Doc[] = svc.spec?.ports ?? [];
    const ok = port.name !== undefined ? ports.some((x) => x.name === port.name) : ports.some((x) => String(x.port) === String(port.number));
    if (!ok) p.push(`${id(d)} ${where}: Service "${name}" has no port ${port.name ?? port.number}`);
  };
  const backends: Array<[Doc, string]> = [];
  if (d.spec?.defaultBackend) backends.push([d.spec.defaultBackend, 'defaultBackend']);
  for (const rule of d.spec?.rules ?? []) for (const path of rule.http?.paths ?? []) backends.push([path.backend, `path ${rule.host ?? '*'}${path.path ?? ''}`]);
  for (const [backend, where] of backends) {
    const svc = backend?.service;
    if (!svc) continue;
    if (svc.port?.name === 'use-annotation') {
      // The ALB controller reads the action from the annotation named after the "service".
      const raw = d.metadata?.annotations?.[`${ALB_ACTION}${svc.name}`];
      if (!raw) {
        p.push(`${id(d)} ${where}: backend "${svc.name}" uses an annotation action, but ${ALB_ACTION}${svc.name} is not set`);
        continue;
      }
      const action = JSON.parse(raw);
      for (const tg of action.forwardConfig?.targetGroups ?? []) {
        if (tg.serviceName) servicePort(tg.serviceName, /^\d+$/.test(String(tg.servicePort)) ? { number: tg.servicePort } : { name: tg.servicePort }, `${where} action ${svc.name}`);
      }
      continue;
    }
    servicePort(svc.name, svc.port ?? {}, where);
  }
}

/** A PodDisruptionBudget guards pods only if its selector matches some pod template in its namespace. */
function budgetProblems(d: Doc, docs: Doc[], p: string[]): void {
  if (d.kind !== 'PodDisruptionBudget') return;
  const selector: Record<string, string> = d.spec?.selector?.matchLabels ?? {};
  const hit = docs.some((o) => nsOf(o) === nsOf(d) && podTemplate(o) && matches(selector, podTemplate(o)!.metadata?.labels));
  if (!hit) p.push(`${id(d)}: selector ${JSON.stringify(selector)} matches no pod template in ${nsOf(d)}`);
}

/** ExternalSecret -> its SecretStore; ScaledObject trigger -> its TriggerAuthentication -> its Secrets. */
function operatorRefProblems(d: Doc, docs: Doc[], p: string[]): void {
  const has = (kind: string, name: string) => docs.some((o) => o.kind === kind && o.metadata?.name === name && nsOf(o) === nsOf(d));
  if (d.kind === 'ExternalSecret') {
    const store = d.spec?.secretStoreRef ?? {};
    const kind = store.kind ?? 'SecretStore';
    // A ClusterSecretStore is cluster-scoped: any namespace's name matches.
    const found = kind === 'ClusterSecretStore' ? docs.some((o) => o.kind === kind && o.metadata?.name === store.name) : has(kind, store.name);
    if (!found) p.push(`${id(d)}: secretStoreRef ${kind} "${store.name}" does not exist`);
  }
  if (d.kind === 'ScaledObject') {
    for (const t of d.spec?.triggers ?? []) {
      const auth = t.authenticationRef;
      if (auth && !has(auth.kind ?? 'TriggerAuthentication', auth.name)) p.push(`${id(d)} trigger ${t.name ?? t.type}: authenticationRef "${auth.name}" does not exist`);
    }
  }
  // A TriggerAuthentication reads its parameters from Secrets: each must be made here, with that key.
  if (d.kind === 'TriggerAuthentication') {
    const secrets = secretKeys(docs, nsOf(d));
    for (const ref of d.spec?.secretTargetRef ?? []) {
      const at = `${id(d)} parameter ${ref.parameter}`;
      if (!secrets.has(ref.name) && !has('Secret', ref.name)) p.push(`${at}: Secret "${ref.name}" is made by no Secret or ExternalSecret target in ${nsOf(d)}`);
      else if (secrets.get(ref.name) && !secrets.get(ref.name)!.has(ref.key)) p.push(`${at}: Secret "${ref.name}" has no key "${ref.key}"`);
    }
  }
}

/** Every dangling reference among `docs`, one line each naming the object, the field and the missing name. */
export function referenceProblems(docs: Doc[], external: ExternalObject[] = []): string[] {
  const p: string[] = [];
  for (const d of docs) {
    podProblems(d, docs, external, p);
    scaleTargetProblems(d, docs, p);
    ingressProblems(d, docs, p);
    budgetProblems(d, docs, p);
    operatorRefProblems(d, docs, p);
  }
  return p;
}

/** A ServiceAccount something outside the manifests binds to (an IAM role through EKS Pod Identity). */
export interface AccountBinding {
  namespace: string;
  serviceAccount: string;
  /** Who binds it, for the problem text. */
  boundBy: string;
}

/** Bindings whose ServiceAccount neither the manifests nor an external maker creates. */
export function bindingProblems(bindings: AccountBinding[], docs: Doc[], external: ExternalObject[]): string[] {
  return bindings
    .filter(
      (b) =>
        !docs.some((d) => d.kind === 'ServiceAccount' && d.metadata?.name === b.serviceAccount && nsOf(d) === b.namespace) &&
        !external.some((e) => e.kind === 'ServiceAccount' && e.name === b.serviceAccount && e.namespace === b.namespace),
    )
    .map((b) => `${b.boundBy}: ServiceAccount ${b.namespace}/${b.serviceAccount} is created by no manifest, Helm release, add-on or documented manual step`);
}
