// What `npm run deploy:aws` learned from CloudFormation (deploy/aws/outputs.json, written by
// `cdk deploy --outputs-file`): deploy:eks takes the cluster and its deploy role from here.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EksDefinition } from '../model/definition';

export type StackOutputs = Record<string, Record<string, string>>;

export function readStackOutputs(root: string, file = 'deploy/aws/outputs.json'): StackOutputs | undefined {
  const path = join(root, file);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as StackOutputs) : undefined;
}

/** The cluster to point kubectl at: the deployed one when outputs exist, else the definition's. */
export function clusterAccess(def: EksDefinition, outputs?: StackOutputs): { cluster: string; roleArn?: string; command: string } {
  const deployed = outputs?.[`${def.target.aws.stackPrefix}-cluster`];
  const cluster = deployed?.ClusterName ?? def.target.cluster;
  const roleArn = deployed?.DeployRoleArn;
  const command = `aws eks update-kubeconfig --name ${cluster} --region ${def.target.region}${roleArn ? ` --role-arn ${roleArn}` : ''}`;
  return { cluster, roleArn, command };
}
