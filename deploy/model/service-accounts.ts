// The Kubernetes ServiceAccount of each service's pods, `<name>-<service>`. The EKS manifests
// create it and the AWS access stack binds its IAM role to it (EKS Pod Identity): one name, two renderers.
import { SharedDefinition } from './definition';

export function serviceAccountName(def: SharedDefinition, service: string): string {
  return `${def.name}-${service}`;
}
