// The public host's Route 53 weighted records, Hetzner vs EKS, from deploy/traffic.json through the
// definition: `npm run cutover` rewrites the weights and deploys this stack alone. The ALB's
// certificate is referenced (ACM, validated outside), not created here.
import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { Construct } from 'constructs';
import { SpillwayDefinition, TrafficWeights } from '../model/definition';

export class EdgeStack extends Stack {
  constructor(scope: Construct, id: string, def: SpillwayDefinition, props: StackProps) {
    super(scope, id, props);
    const dns = def.dns;
    const record = (side: keyof TrafficWeights, target: string) =>
      new route53.CfnRecordSet(this, `${side}Record`, {
        hostedZoneId: dns.zoneId,
        name: dns.name,
        type: 'CNAME',
        ttl: String(dns.ttl),
        setIdentifier: side,
        weight: dns.weights[side],
        resourceRecords: [target],
      });
    record('hetzner', dns.hetznerTarget);
    record('eks', dns.eksTarget);
    new CfnOutput(this, 'CertificateArn', { value: def.targets.eks.certificateArn, description: "The ALB's HTTPS certificate (ACM)" });
    new CfnOutput(this, 'Weights', { value: `hetzner=${dns.weights.hetzner} eks=${dns.weights.eks}` });
  }
}
