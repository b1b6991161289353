// The Kubernetes ServiceAccount of each service's pods, `<name>-<service>`. The EKS manifests
// create it and the AWS access stack binds its IAM role to it (EKS Pod Identity): one name, two renderers.
import { SpillwayDefinition } from './definition';

export function serviceAccountName(def: SpillwayDefinition, service: string): string {
  return `${def.name}-${service}`;
}
