// The GitHub Actions workflows, rendered from the definition into .github/workflows/ by `npm run synth`.
import { stringify } from 'yaml';
import { SpillwayDefinition } from '../model/definition';
import { composeDefinition, eksDefinition } from '../model/targets';
import { annotateVersions } from './actions';
import { ciWorkflow } from './ci';
import { hetznerWorkflow } from './hetzner';
import { releaseWorkflow } from './release';
import { Obj } from './steps';

export const WORKFLOWS_DIR = '.github/workflows';

const HEADER = '# Rendered by `npm run synth` from deploy/spillway.ts (deploy/workflows/): edit those, not this file.\n';

const toYaml = (workflow: Obj) => HEADER + annotateVersions(stringify(workflow, { lineWidth: 0, aliasDuplicateObjects: false }));

export function renderWorkflows(def: SpillwayDefinition): Record<string, string> {
  return {
    [`${WORKFLOWS_DIR}/ci.yml`]: toYaml(ciWorkflow(def)),
    // The pipeline releases to the targets that take public traffic (dns.records).
    [`${WORKFLOWS_DIR}/release.yml`]: toYaml(releaseWorkflow(eksDefinition(def))),
    [`${WORKFLOWS_DIR}/deploy-hetzner.yml`]: toYaml(hetznerWorkflow(composeDefinition(def), eksDefinition(def))),
  };
}
