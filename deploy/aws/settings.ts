// Checks the definition's `aws` section before any stack is built; each problem names its field.
import { DefinitionError } from '../model/validate';
import { EksDefinition } from '../model/definition';

const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/;

export function awsSettingsProblems(def: EksDefinition): string[] {
  const a = def.target.aws;
  const f = `targets.${def.target.name}.aws`;
  const p: string[] = [];
  const region = def.target.region;
  if (a.availabilityZones.length !== 3) p.push(`${f}.availabilityZones: exactly three (the seed spreads over 3 AZs)`);
  for (const az of a.availabilityZones) if (!az.startsWith(region)) p.push(`${f}.availabilityZones: ${az} is not in targets.${def.target.name}.region ${region}`);
  if (!/^1\.\d{2}$/.test(a.cluster.kubernetesVersion)) p.push(`${f}.cluster.kubernetesVersion: a minor version like "1.35" (got "${a.cluster.kubernetesVersion}")`);
  const ng = a.cluster.nodeGroup;
  if (!(ng.min >= 1 && ng.min <= ng.desired && ng.desired <= ng.max)) p.push(`${f}.cluster.nodeGroup: needs 1 <= min <= desired <= max`);
  if (!a.cluster.apiAllowedCidrs.length) p.push(`${f}.cluster.apiAllowedCidrs: at least one CIDR may reach the API endpoint`);
  for (const cidr of a.cluster.apiAllowedCidrs) {
    if (!CIDR.test(cidr)) p.push(`${f}.cluster.apiAllowedCidrs: "${cidr}" is not a CIDR`);
    if (cidr.endsWith('/0')) p.push(`${f}.cluster.apiAllowedCidrs: "${cidr}" opens the API endpoint to the internet`);
  }
  if (!/^[\w+=,.@-]{1,64}$/.test(a.cluster.deployRoleName)) p.push(`${f}.cluster.deployRoleName: an IAM role name`);
  const db = a.database;
  const hetznerMajor = def.dependencies.postgres.image.match(/postgres:(\d+)/)?.[1];
  if (hetznerMajor && db.engineVersion.split('.')[0] !== hetznerMajor) {
    p.push(`${f}.database.engineVersion: ${db.engineVersion} is not PostgreSQL ${hetznerMajor}, the Hetzner image's major (a dump must restore both ways)`);
  }
  if (!Number.isInteger(db.readReplicas) || db.readReplicas < 0 || db.readReplicas > 2) p.push(`${f}.database.readReplicas: 0, 1 or 2`);
  if (db.backupRetentionDays < 1 || db.backupRetentionDays > 35) p.push(`${f}.database.backupRetentionDays: 1-35 (RDS limits)`);
  if (db.storageGiB < 20) p.push(`${f}.database.storageGiB: gp3 needs at least 20`);
  if (!(a.budget.monthlyUsd > 0)) p.push(`${f}.budget.monthlyUsd: a positive amount`);
  if (!a.budget.alertEmails.length) p.push(`${f}.budget.alertEmails: at least one address gets the alerts`);
  if (!a.alarms?.emails?.length) p.push(`${f}.alarms.emails: at least one address gets the alarms`);
  if (!/^app\/[\w-]+\/[0-9a-f]+$/.test(a.alarms?.loadBalancer ?? '')) p.push(`${f}.alarms.loadBalancer: the ALB's dimension "app/<name>/<id>" (got "${a.alarms?.loadBalancer}")`);
  if (a.registry.keepImages < 1) p.push(`${f}.registry.keepImages: at least 1`);
  const conn = def.release.runner.connectionArn;
  if (!/^arn:aws:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection\/[0-9a-f-]{36}$/.test(conn)) {
    p.push(`release.runner.connectionArn: "${conn}" is not a CodeConnections connection ARN (arn:aws:codeconnections:<region>:<account>:connection/<id>)`);
  }
  if (a.dr) {
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(a.dr.region)) p.push(`${f}.dr.region: "${a.dr.region}" is not an AWS region name like eu-west-1`);
    if (a.dr.region === region) p.push(`${f}.dr.region: ${a.dr.region} is targets.${def.target.name}.region; the DR copy must be in another region`);
  }
  return p;
}

export function checkAwsSettings(def: EksDefinition): void {
  const problems = awsSettingsProblems(def);
  if (problems.length) throw new DefinitionError(problems);
}
