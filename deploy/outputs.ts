// Everything `npm run synth` writes, rendered and validated in memory first: nothing reaches the
// disk unless the definition and every rendered object pass their checks.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { manifestObjects, renderManifests } from './eks/chart';
import { kubernetesSchemaProblems } from './eks/schemas';
import { renderTerraform, terraformObject } from './eks/terraform';
import { danglingReferences } from './eks/terraform-references';
import { renderDns } from './dns/route53';
import { renderAlertRules } from './monitoring/prometheus-rules';
import { composeObject, renderCompose } from './hetzner/compose';
import { composeSchemaProblems } from './hetzner/schema';
import { SpillwayDefinition } from './model/definition';
import { validateDefinition } from './model/validate';

export const ROOT = join(__dirname, '..');

export const OUTPUT_PATHS = {
  compose: 'docker-compose.yml',
  manifests: 'deploy/eks/rendered/spillway.k8s.yaml',
  terraform: 'deploy/eks/terraform/spillway-queues.tf.json',
  dns: 'deploy/dns/route53.tf.json',
  alertRules: 'deploy/monitoring/rendered/alerts.rules.yml',
} as const;

export class RenderError extends Error {
  constructor(readonly problems: string[]) {
    super(`rendered output failed validation:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/** Env names the Hetzner env_file must define: every secret a container there reads. */
export function hetznerSecretNames(def: SpillwayDefinition): string[] {
  const names = def.services.flatMap((s) => s.secrets).concat(def.dependencies.postgres.passwordSecret);
  return [...new Set(names)].sort();
}

export function envFileNames(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#') && line.includes('='))
    .map((line) => line.slice(0, line.indexOf('=')).trim());
}

/** Renders all outputs (path -> content) after validating the definition and every output. */
export function renderAll(def: SpillwayDefinition, root = ROOT): Record<string, string> {
  validateDefinition(def);
  const problems: string[] = [];
  problems.push(...composeSchemaProblems(composeObject(def)).map((p) => `${OUTPUT_PATHS.compose} ${p}`));
  const example = readFileSync(join(root, `${def.targets.hetzner.envFile}.example`), 'utf8');
  const missing = hetznerSecretNames(def).filter((n) => !envFileNames(example).includes(n));
  for (const name of missing) problems.push(`secrets.${name}: missing from ${def.targets.hetzner.envFile}.example`);
  const manifests = renderManifests(def);
  // Check what is written, not only what was built: the YAML round trip must stay valid too.
  for (const doc of parseAllDocuments(manifests)) {
    problems.push(...kubernetesSchemaProblems(doc.toJS()).map((p) => `${OUTPUT_PATHS.manifests} ${p}`));
  }
  problems.push(...danglingReferences(terraformObject(def)).map((p) => `${OUTPUT_PATHS.terraform} ${p}`));
  if (manifestObjects(def).length === 0) problems.push(`${OUTPUT_PATHS.manifests}: no objects`);
  if (problems.length) throw new RenderError(problems);
  return {
    [OUTPUT_PATHS.compose]: renderCompose(def),
    [OUTPUT_PATHS.manifests]: manifests,
    [OUTPUT_PATHS.terraform]: renderTerraform(def),
    [OUTPUT_PATHS.dns]: renderDns(def),
    [OUTPUT_PATHS.alertRules]: renderAlertRules(def),
  };
}
