// The cdk8s chart: every Kubernetes object of the definition, each built as a typed
// kubernetes-models object and validated against its schema before it joins the chart.
import { ApiObject, App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { EksDefinition } from '../model/definition';
import { runsPods } from '../model/lambda-lanes';
import { releaseRbac } from '../release/rbac';
import { RENDERED_API_VERSION } from './schemas';
import { migrateConfigMap, migrateJob, migratePolicy, migrateServiceAccount } from './migrate-job';
import { cpuAutoscaler, queueScaler, triggerAuthentication } from './scaling';
import { externalSecret, redisExternalSecret, secretStore } from './secrets';
import { baselinePolicies, ingress, servicePolicy, services } from './traffic';
import { deployment, disruptionBudget, envConfigMap, namespace, serviceAccount } from './workloads';

interface Model {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string };
  validate(): void;
  // kubernetes-models 5 types it `unknown`; it is the object's plain JSON form.
  toJSON(): unknown;
}

/** In apply order: the namespace and what pods mount or reference come before the pods. */
export function manifestModels(def: EksDefinition): Model[] {
  // A worker whose every lane runs on Lambda has no pods here: none of its objects render.
  const withPods = def.services.filter((svc) => runsPods(svc, def.target));
  const models: Array<Model | undefined> = [namespace(def), ...withPods.map((svc) => serviceAccount(def, svc)), secretStore(def), externalSecret(def), redisExternalSecret(def)];
  models.push(triggerAuthentication(def), ...baselinePolicies(def));
  // Before the workloads: workers wait for the schema this Job applies.
  models.push(migrateServiceAccount(def), migrateConfigMap(def), migratePolicy(def), migrateJob(def));
  for (const svc of withPods) {
    models.push(envConfigMap(def, svc), deployment(def, svc), ...services(def, svc), disruptionBudget(def, svc));
    models.push(servicePolicy(def, svc), cpuAutoscaler(def, svc), queueScaler(def, svc));
    if (svc.public) models.push(ingress(def, svc));
  }
  // Last: what the CI roles' Kubernetes groups may do with the objects above.
  models.push(...releaseRbac(def, models.filter((m): m is Model => m !== undefined)));
  return models.filter((m): m is Model => m !== undefined);
}

export class SpillwayChart extends Chart {
  constructor(scope: Construct, def: EksDefinition) {
    super(scope, def.name, { disableResourceNameHashes: true });
    for (const model of manifestModels(def)) {
      const id = `${model.kind}-${model.metadata?.name}`;
      try {
        model.validate();
      } catch (err) {
        throw new Error(`${id} does not match the Kubernetes schema: ${(err as Error).message}`, { cause: err });
      }
      const json = model.toJSON() as Record<string, unknown>;
      new ApiObject(this, id, { ...json, apiVersion: RENDERED_API_VERSION[model.apiVersion] ?? model.apiVersion } as never);
    }
  }
}

/** The chart as plain objects (cdk8s resolves them; nothing is written to disk). */
export function manifestObjects(def: EksDefinition): Record<string, unknown>[] {
  return new SpillwayChart(new App(), def).toJson();
}

export function renderManifests(def: EksDefinition): string {
  const header = '# Rendered by `npm run synth` from deploy/spillway.ts: edit the definition, not this file.\n';
  const docs = manifestObjects(def).map((o) => stringify(o, { sortMapEntries: true, lineWidth: 0 }));
  return header + docs.map((d) => `---\n${d}`).join('');
}
