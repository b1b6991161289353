// The IAM policies of the rendered CloudFormation templates as IAM would see them once deployed:
// intrinsics (Ref, Fn::Join, Fn::GetAtt, Fn::ImportValue...) resolved to concrete strings, each
// role with the inline policies attached to it. Used by iam-simulate.spec.ts; offline, no AWS.
// A resource's physical id (what Ref returns) is not known before deploy: it stands in as a fixed
// placeholder derived from its logical id, and the calls in iam-calls.ts resolve the same way.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown; Export?: { Name: string } }>;
}
export interface PolicyDocument {
  Version: string;
  Statement: Array<Record<string, unknown>>;
}
export interface RenderedRole {
  stack: string;
  logicalId: string;
  /** The role's trust policy: who may assume it (its Principal says which kind of workload it is). */
  trust: PolicyDocument;
  policies: Array<{ name: string; policy: PolicyDocument }>;
}

export class RenderedAssembly {
  readonly templates: Record<string, CfnTemplate>;

  constructor(
    dir: string,
    readonly region: string,
    readonly account: string,
  ) {
    this.templates = Object.fromEntries(
      readdirSync(dir)
        .filter((f) => f.endsWith('.template.json'))
        .map((f) => [f.replace('.template.json', ''), JSON.parse(readFileSync(join(dir, f), 'utf8')) as CfnTemplate]),
    );
  }

  /** The placeholder physical id of a resource (what Ref returns for most types). */
  physicalId(stack: string, logicalId: string): string {
    const r = this.resource(stack, logicalId);
    const p = r.Properties ?? {};
    const named = p.RoleName ?? p.QueueName ?? p.BucketName ?? p.Name ?? p.DBInstanceIdentifier ?? p.DBProxyName ?? p.LogGroupName;
    if (typeof named === 'string') return named;
    const prefix: Record<string, string> = { 'AWS::EC2::VPC': 'vpc-', 'AWS::EC2::Subnet': 'subnet-', 'AWS::EC2::SecurityGroup': 'sg-' };
    return `${prefix[r.Type] ?? ''}${logicalId.toLowerCase()}`;
  }

  resource(stack: string, logicalId: string): CfnResource {
    const r = this.templates[stack]?.Resources[logicalId];
    if (!r) throw new Error(`${stack} has no resource ${logicalId}`);
    return r;
  }

  /** The logical ids of one type in a stack, in template order. */
  ofType(stack: string, type: string): string[] {
    return Object.entries(this.templates[stack]?.Resources ?? {})
      .filter(([, r]) => r.Type === type)
      .map(([id]) => id);
  }

  /** A template value with every intrinsic function resolved. */
  resolve(stack: string, value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(stack, v));
    if (!value || typeof value !== 'object') return value;
    const o = value as Record<string, unknown>;
    const [fn] = Object.keys(o);
    const arg = o[fn];
    switch (fn) {
      case 'Ref':
        return this.ref(stack, arg as string);
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, unknown[]];
        return (this.resolve(stack, parts) as unknown[]).join(sep);
      }
      case 'Fn::Select': {
        const [i, list] = arg as [number, unknown];
        return (this.resolve(stack, list) as unknown[])[i];
      }
      case 'Fn::Split': {
        const [sep, s] = arg as [string, unknown];
        return (this.resolve(stack, s) as string).split(sep);
      }
      case 'Fn::GetAtt': {
        const [id, attr] = arg as [string, string];
        return this.getAtt(stack, id, attr);
      }
      case 'Fn::ImportValue':
        return this.importValue(this.resolve(stack, arg) as string);
      case 'Fn::Sub':
        return (arg as string).replace(/\$\{([^}]+)\}/g, (_, name: string) => String(name.includes('.') ? this.getAtt(stack, name.split('.')[0], name.split('.')[1]) : this.ref(stack, name)));
      default:
        return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, this.resolve(stack, v)]));
    }
  }

  private ref(stack: string, name: string): string {
    const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': this.region, 'AWS::AccountId': this.account, 'AWS::URLSuffix': 'amazonaws.com', 'AWS::StackName': stack };
    return pseudo[name] ?? this.physicalId(stack, name);
  }

  private getAtt(stack: string, id: string, attr: string): string {
    const r = this.resource(stack, id);
    const name = this.physicalId(stack, id);
    const arn = (service: string, resource: string, region = this.region, account = this.account) => `arn:aws:${service}:${region}:${account}:${resource}`;
    const arns: Record<string, () => string> = {
      'AWS::Logs::LogGroup': () => arn('logs', `log-group:${name}:*`),
      'AWS::KMS::Key': () => arn('kms', `key/${name}`),
      'AWS::SQS::Queue': () => arn('sqs', name),
      'AWS::S3::Bucket': () => `arn:aws:s3:::${name}`,
      'AWS::IAM::Role': () => arn('iam', `role/${name}`, ''),
      'AWS::RDS::DBProxy': () => arn('rds', `db-proxy:prx-${id.toLowerCase()}`),
      'AWS::EKS::Cluster': () => arn('eks', `cluster/${name}`),
      'AWS::SNS::Topic': () => arn('sns', name),
    };
    if ((attr === 'Arn' || attr === 'DBProxyArn') && arns[r.Type]) return arns[r.Type]();
    return `${name}.${attr}`;
  }

  private importValue(exportName: string): unknown {
    for (const [stack, t] of Object.entries(this.templates)) {
      const out = Object.values(t.Outputs ?? {}).find((o) => this.resolve(stack, o.Export?.Name) === exportName);
      if (out) return this.resolve(stack, out.Value);
    }
    throw new Error(`no stack exports ${exportName}`);
  }

  /** Every IAM role of the assembly with its trust policy and the inline policies attached to it. */
  roles(): RenderedRole[] {
    return Object.entries(this.templates).flatMap(([stack, t]) =>
      Object.entries(t.Resources)
        .filter(([, r]) => r.Type === 'AWS::IAM::Role')
        .map(([logicalId, r]) => {
          const attached = Object.entries(t.Resources)
            .filter(([, p]) => p.Type === 'AWS::IAM::Policy' && (p.Properties!.Roles as unknown[]).some((x) => (x as { Ref?: string }).Ref === logicalId))
            .map(([id, p]) => ({ name: id, policy: this.resolve(stack, p.Properties!.PolicyDocument) as PolicyDocument }));
          const inline = ((r.Properties!.Policies as Array<{ PolicyName: string; PolicyDocument: unknown }> | undefined) ?? []).map((p) => ({
            name: p.PolicyName,
            policy: this.resolve(stack, p.PolicyDocument) as PolicyDocument,
          }));
          return { stack, logicalId, trust: this.resolve(stack, r.Properties!.AssumeRolePolicyDocument) as PolicyDocument, policies: [...attached, ...inline] };
        }),
    );
  }
}
