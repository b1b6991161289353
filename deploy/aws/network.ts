// The VPC: three AZs, a public subnet per AZ (load balancers, NAT) and a private one (nodes, pods,
// RDS, cache). One NAT gateway by default, as the seed's cost table assumes; one per AZ as an option.
// The S3 gateway endpoint always; interface endpoints as the definition lists them.
import { Stack, StackProps, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { InterfaceEndpoint, EksDefinition } from '../model/definition';
import { SUBNET_MASKS } from '../model/subnets';
import { allow } from './nag';

export class NetworkStack extends Stack {
  readonly vpc: ec2.Vpc;

  constructor(scope: Construct, id: string, def: EksDefinition, props: StackProps) {
    super(scope, id, props);
    const net = def.target.aws.network;
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(def.target.vpcCidr),
      availabilityZones: def.target.aws.availabilityZones,
      natGateways: net.natGateways === 'one' ? 1 : def.target.aws.availabilityZones.length,
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
    this.addEndpoints(net.vpcEndpoints);
  }

  /**
   * S3 through a gateway endpoint, always: it is free, and ECR's image layers and the claim-check
   * objects would otherwise pay the NAT gateway's per-GB fee. Interface endpoints only for the
   * services the definition lists (each costs per AZ-hour; `npm run cost` says which pay).
   */
  private addEndpoints(endpoints: InterfaceEndpoint[]): void {
    this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    const services: Record<InterfaceEndpoint, Record<string, ec2.InterfaceVpcEndpointAwsService>> = {
      sqs: { Sqs: ec2.InterfaceVpcEndpointAwsService.SQS },
      ecr: { EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR, EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER },
      secretsmanager: { SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER },
      sts: { Sts: ec2.InterfaceVpcEndpointAwsService.STS },
      logs: { Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS },
    };
    for (const [id, service] of endpoints.flatMap((e) => Object.entries(services[e]))) {
      const endpoint = this.vpc.addInterfaceEndpoint(id, { service, privateDnsEnabled: true, subnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } });
      allow(endpoint, [['AwsSolutions-EC23', "HTTPS from the VPC's own CIDR only (a Fn::GetAtt cdk-nag cannot resolve, so it assumes the worst)."]]);
    }
  }
}
