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
import { ComposeDefinition, SpillwayDefinition } from './model/definition';
import { eksDefinition, primaryTargetName, targetDefinition, targetsOfKind } from './model/targets';
import { validateDefinition } from './model/validate';
import { renderTargetsFile } from './targets-file';
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

/** Where the files of a target other than the primary of its kind go: `<TARGETS_DIR>/<name>/`. */
export const TARGETS_DIR = 'deploy/targets';

/** A folder every file of which `npm run synth` owns: a file there it did not render is stale. */
export const RENDERED_DIRS = [AWS_RENDERED, MONITORING_FILES.dashboards, WORKFLOWS_DIR, MOVE_PATH_DIR] as const;

/** The Grafana dashboards, path -> JSON text (2-space indent, as Grafana exports them). */
export function renderDashboards(def: ComposeDefinition): Record<string, string> {
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
export function hetznerSecretNames(def: ComposeDefinition): string[] {
  return [...new Set(Object.values(secretsByService(def)).flat())].sort();
}

/** Each service's committed example must name exactly that service's secrets. */
function secretExampleProblems(def: ComposeDefinition, root: string): string[] {
  return Object.keys(secretsByService(def)).flatMap((service) => {
    const path = secretExample(def, service);
    if (!existsSync(join(root, path))) return [`${path}: missing (it names ${service}'s secrets)`];
    return secretFileProblems(def, service, readFileSync(join(root, path), 'utf8'), path);
  });
}

/** Where an EKS target's files go: the primary one (dns.records) at the kind's paths, any other under deploy/targets/<name>/. */
export function eksPaths(def: SpillwayDefinition, name: string): { manifests: string; aws: string; primary: boolean } {
  if (primaryTargetName(def, 'eks') === name) return { manifests: OUTPUT_PATHS.manifests, aws: AWS_RENDERED, primary: true };
  return { manifests: `${TARGETS_DIR}/${name}/${name}.k8s.yaml`, aws: `${TARGETS_DIR}/${name}/aws`, primary: false };
}

/** Folders synth owns whole (RENDERED_DIRS and each further EKS target's CDK assembly). */
export function renderedDirs(def: SpillwayDefinition): string[] {
  return [...RENDERED_DIRS, ...targetsOfKind(def, 'eks').map((t) => eksPaths(def, t.name)).filter((p) => !p.primary).map((p) => p.aws)];
}

/** The files of one EKS target: its Kubernetes objects (schema-checked) and its AWS account's stacks. */
export function renderEksTarget(def: SpillwayDefinition, name: string, problems: string[]): Record<string, string> {
  const view = targetDefinition(def, name, 'eks');
  const paths = eksPaths(def, name);
  const manifests = renderManifests(view);
  // Check what is written, not only what was built: the YAML round trip must stay valid too.
  for (const doc of parseAllDocuments(manifests)) {
    problems.push(...kubernetesSchemaProblems(doc.toJS()).map((p) => `${paths.manifests} ${p}`));
  }
  if (manifestObjects(view).length === 0) problems.push(`${paths.manifests}: no objects`);
  // The AWS account's CloudFormation templates (CDK cloud assembly); see deploy/aws/app.ts.
  return { [paths.manifests]: manifests, ...renderAws(view, paths.aws, { definitionWide: paths.primary }) };
}

/**
 * The files of the compose target: the compose file (schema-checked), what its containers mount
 * (access files, the monitoring profile's configuration) and the box's end of the move path.
 * One compose target: the compose file mounts these by fixed paths.
 */
function renderComposeTarget(def: SpillwayDefinition, name: string, root: string, problems: string[]): Record<string, string> {
  const box = targetDefinition(def, name, 'compose');
  problems.push(...composeSchemaProblems(composeObject(box)).map((p) => `${OUTPUT_PATHS.compose} ${p}`));
  problems.push(...secretExampleProblems(box, root));
  return {
    [OUTPUT_PATHS.compose]: renderCompose(box),
    // Mounted read-only into the db-roles and redis containers; no secret in either.
    [BOX_ACCESS_FILES.rolesSql]: renderRolesSql(box),
    [BOX_ACCESS_FILES.redisAcl]: renderRedisAclScript(box),
    [OUTPUT_PATHS.alertRules]: renderAlertRules(box),
    // The box's monitoring profile (deploy/hetzner/monitoring-services.ts mounts these).
    [OUTPUT_PATHS.prometheusConfig]: renderPrometheusConfig(box),
    [OUTPUT_PATHS.grafanaDatasources]: renderDatasources(box),
    [OUTPUT_PATHS.grafanaDashboards]: renderDashboardProvider(),
    ...renderDashboards(box),
    // The box's end of the move path (docs/move-path.md), while the definition has movePath.
    ...renderMovePathBox(box, eksDefinition(def).target.vpcCidr),
  };
}

/** Renders all outputs (path -> content) after validating the definition and every output. */
export function renderAll(def: SpillwayDefinition, root = ROOT): Record<string, string> {
  validateDefinition(def);
  const problems: string[] = [];
  // Each target by its kind's renderer.
  const byTarget = Object.entries(def.targets).map(([name, t]) => (t.kind === 'compose' ? renderComposeTarget(def, name, root, problems) : renderEksTarget(def, name, problems)));
  if (problems.length) throw new RenderError(problems);
  return Object.assign(
    {},
    ...byTarget,
    // The staging load test (k6), type-checked against @types/k6 in deploy/k6/k6-script.spec.ts.
    def.load ? { [K6_SCRIPT_PATH]: renderK6Script(def) } : {},
    // Capacity and monthly cost of the box and the EKS target (docs/cost/), from the bench results and the price table.
    renderCostOutputs(def, root),
    // CI, release and the Hetzner deploy (GitHub Actions); checked by deploy/workflows/workflows.spec.ts.
    renderWorkflows(def),
    // Each target's kind and broker by name, for the console (apps/ never imports deploy/).
    renderTargetsFile(def),
  ) as Record<string, string>;
}
