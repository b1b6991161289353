// The VPC: three AZs, a public subnet per AZ (load balancers, NAT) and a private one (nodes, pods,
// RDS, cache). One NAT gateway by default, as the seed's cost table assumes; one per AZ as an option.
import { Stack, StackProps, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { SpillwayDefinition } from '../model/definition';
import { SUBNET_MASKS } from '../model/subnets';
import { allow } from './nag';

export class NetworkStack extends Stack {
  readonly vpc: ec2.Vpc;

  constructor(scope: Construct, id: string, def: SpillwayDefinition, props: StackProps) {
    super(scope, id, props);
    const net = def.aws.network;
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(def.targets.eks.vpcCidr),
      availabilityZones: def.aws.availabilityZones,
      natGateways: net.natGateways === 'one' ? 1 : def.aws.availabilityZones.length,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: SUBNET_MASKS.public },
        // Pods take VPC addresses (VPC CNI): the private subnets get the larger blocks.
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: SUBNET_MASKS.private },
      ],
      // `true` would add a Lambda-backed custom resource; nothing here uses the default group.
      restrictDefaultSecurityGroup: false,
      flowLogs: { rejected: { trafficType: ec2.FlowLogTrafficType.REJECT } },
    });
    // The AWS Load Balancer Controller picks subnets by these tags.
    for (const s of this.vpc.publicSubnets) Tags.of(s).add('kubernetes.io/role/elb', '1');
    for (const s of this.vpc.privateSubnets) Tags.of(s).add('kubernetes.io/role/internal-elb', '1');
    if (net.vpcEndpoints) this.addEndpoints();
  }

  /** Traffic to these services stays in the VPC instead of crossing the NAT gateway (and its per-GB fee). */
  private addEndpoints(): void {
    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    const services: Record<string, ec2.InterfaceVpcEndpointAwsService> = {
      Sqs: ec2.InterfaceVpcEndpointAwsService.SQS,
      EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR,
      EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
      SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
      Sts: ec2.InterfaceVpcEndpointAwsService.STS,
    };
    for (const [id, service] of Object.entries(services)) {
      const endpoint = this.vpc.addInterfaceEndpoint(id, { service, privateDnsEnabled: true, subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } });
      allow(endpoint, [['AwsSolutions-EC23', "HTTPS from the VPC's own CIDR only (a Fn::GetAtt cdk-nag cannot resolve, so it assumes the worst)."]]);
    }
  }
}
