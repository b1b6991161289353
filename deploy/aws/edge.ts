// The public name's edge in CloudFormation: its ACM certificate (DNS-validated in the zone) and the
// outputs the cutover and the Ingress need. The weighted records are not here: the cutover drives
// them through the Route 53 API (deploy/cutover-dns.ts), because a stack cannot create them beside
// the box's live simple record (Route 53 holds one or the other for a name and type), and a stack
// that deleted the simple record first would leave the name unanswered in between.
import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import { Construct } from 'constructs';
import { EksDefinition } from '../model/definition';

export class EdgeStack extends Stack {
  constructor(scope: Construct, id: string, def: EksDefinition, props: StackProps) {
    super(scope, id, props);
    const dns = def.dns;
    // L1: the L2 Certificate wants the zone's name too; the validation record needs only its id.
    const certificate = new acm.CfnCertificate(this, 'IngestCertificate', {
      domainName: dns.name,
      validationMethod: 'DNS',
      domainValidationOptions: [{ domainName: dns.name, hostedZoneId: dns.zoneId }],
    });
    new CfnOutput(this, 'CertificateArn', { value: certificate.ref, description: `ACM certificate for ${dns.name} (DNS-validated), for the ALB's HTTPS listener` });
    new CfnOutput(this, 'HostedZoneId', { value: dns.zoneId, description: `The zone whose ${dns.name} records npm run cutover changes` });
    new CfnOutput(this, 'IngestName', { value: dns.name });
  }
}
