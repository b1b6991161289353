// Everything `npm run synth` writes, rendered and validated in memory first: nothing reaches the
// disk unless the definition and every rendered object pass their checks.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { manifestObjects, renderManifests } from './eks/chart';
import { kubernetesSchemaProblems } from './eks/schemas';
import { AWS_RENDERED, renderAws } from './aws/app';
import { renderAlertRules } from './monitoring/prometheus-rules';
import { K6_SCRIPT_PATH, renderK6Script } from './k6/k6-script';
import { renderCostOutputs } from './cost/render';
import { dashboards } from './monitoring/dashboards';
import { renderDashboardProvider, renderDatasources } from './monitoring/grafana';
import { renderPrometheusConfig } from './monitoring/prometheus-config';
import { MONITORING_FILES } from './hetzner/monitoring-services';
import { composeObject, renderCompose } from './hetzner/compose';
import { MOVE_PATH_DIR, renderMovePathBox } from './hetzner/move-path';
import { composeSchemaProblems } from './hetzner/schema';
import { BOX_ACCESS_FILES, renderRolesSql } from './hetzner/database-roles';
import { renderRedisAclScript } from './hetzner/redis-acl';
import { secretExample, secretFileProblems, secretsByService } from './hetzner/secret-files';
import { SpillwayDefinition } from './model/definition';
import { validateDefinition } from './model/validate';
import { renderWorkflows, WORKFLOWS_DIR } from './workflows/render';

export const ROOT = join(__dirname, '..');

export const OUTPUT_PATHS = {
  compose: 'docker-compose.yml',
  manifests: 'deploy/eks/rendered/spillway.k8s.yaml',
  alertRules: 'deploy/monitoring/rendered/alerts.rules.yml',
  prometheusConfig: MONITORING_FILES.prometheusConfig,
  grafanaDatasources: `${MONITORING_FILES.grafanaProvisioning}/datasources/prometheus.yml`,
  grafanaDashboards: `${MONITORING_FILES.grafanaProvisioning}/dashboards/spillway.yml`,
} as const;

/** A folder every file of which `npm run synth` owns: a file there it did not render is stale. */
export const RENDERED_DIRS = [AWS_RENDERED, MONITORING_FILES.dashboards, WORKFLOWS_DIR, MOVE_PATH_DIR] as const;

/** The Grafana dashboards, path -> JSON text (2-space indent, as Grafana exports them). */
export function renderDashboards(def: SpillwayDefinition): Record<string, string> {
  return Object.fromEntries(
    Object.entries(dashboards(def)).map(([file, board]) => [`${MONITORING_FILES.dashboards}/${file}`, `${JSON.stringify(board, null, 2)}\n`]),
  );
}

export class RenderError extends Error {
  constructor(readonly problems: string[]) {
    super(`rendered output failed validation:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

export { envFileNames } from './hetzner/secret-files';

/** Env names the Hetzner secret files define together: every secret a container there reads. */
export function hetznerSecretNames(def: SpillwayDefinition): string[] {
  return [...new Set(Object.values(secretsByService(def)).flat())].sort();
}

/** Each service's committed example must name exactly that service's secrets. */
function secretExampleProblems(def: SpillwayDefinition, root: string): string[] {
  return Object.keys(secretsByService(def)).flatMap((service) => {
    const path = secretExample(def, service);
    if (!existsSync(join(root, path))) return [`${path}: missing (it names ${service}'s secrets)`];
    return secretFileProblems(def, service, readFileSync(join(root, path), 'utf8'), path);
  });
}

/** Renders all outputs (path -> content) after validating the definition and every output. */
export function renderAll(def: SpillwayDefinition, root = ROOT): Record<string, string> {
  validateDefinition(def);
  const problems: string[] = [];
  problems.push(...composeSchemaProblems(composeObject(def)).map((p) => `${OUTPUT_PATHS.compose} ${p}`));
  problems.push(...secretExampleProblems(def, root));
  const manifests = renderManifests(def);
  // Check what is written, not only what was built: the YAML round trip must stay valid too.
  for (const doc of parseAllDocuments(manifests)) {
    problems.push(...kubernetesSchemaProblems(doc.toJS()).map((p) => `${OUTPUT_PATHS.manifests} ${p}`));
  }
  if (manifestObjects(def).length === 0) problems.push(`${OUTPUT_PATHS.manifests}: no objects`);
  if (problems.length) throw new RenderError(problems);
  return {
    [OUTPUT_PATHS.compose]: renderCompose(def),
    // Mounted read-only into the db-roles and redis containers; no secret in either.
    [BOX_ACCESS_FILES.rolesSql]: renderRolesSql(def),
    [BOX_ACCESS_FILES.redisAcl]: renderRedisAclScript(def),
    [OUTPUT_PATHS.manifests]: manifests,
    // The AWS account's CloudFormation templates (CDK cloud assembly); see deploy/aws/app.ts.
    ...renderAws(def),
    [OUTPUT_PATHS.alertRules]: renderAlertRules(def),
    // The staging load test (k6), type-checked against @types/k6 in deploy/k6/k6-script.spec.ts.
    ...(def.load ? { [K6_SCRIPT_PATH]: renderK6Script(def) } : {}),
    // Capacity and monthly cost of each target (docs/cost/), from the bench results and the price table.
    ...renderCostOutputs(def, root),
    // The box's monitoring profile (deploy/hetzner/monitoring-services.ts mounts these).
    [OUTPUT_PATHS.prometheusConfig]: renderPrometheusConfig(def),
    [OUTPUT_PATHS.grafanaDatasources]: renderDatasources(def),
    [OUTPUT_PATHS.grafanaDashboards]: renderDashboardProvider(),
    ...renderDashboards(def),
    // CI, release and the Hetzner deploy (GitHub Actions); checked by deploy/workflows/workflows.spec.ts.
    ...renderWorkflows(def),
    // The box's end of the move path (docs/move-path.md), while the definition has movePath.
    ...renderMovePathBox(def),
  };
}
