// An EKS target whose broker is BullMQ (`broker: { kind: 'bullmq', redis: { elasticache } }`): ElastiCache Redis, Multi-AZ with automatic failover, for an
// EKS target that keeps BullMQ instead of SQS. Encrypted at rest and in transit; the cluster only.
import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import { Construct } from 'constructs';
import { EksDefinition } from '../model/definition';
import { allow } from './nag';

export class CacheStack extends Stack {
  constructor(scope: Construct, id: string, def: EksDefinition, vpc: ec2.IVpc, clusterSecurityGroupId: string, props: StackProps) {
    super(scope, id, props);
    const sg = new ec2.SecurityGroup(this, 'RedisSg', { vpc, description: 'Redis from the EKS cluster only', allowAllOutbound: false });
    sg.addIngressRule(ec2.Peer.securityGroupId(clusterSecurityGroupId), ec2.Port.tcp(6379), 'EKS cluster security group');
    const subnets = new elasticache.CfnSubnetGroup(this, 'Subnets', {
      description: 'private subnets',
      subnetIds: vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds,
    });
    const broker = def.target.broker;
    if (broker.kind !== 'bullmq') throw new Error(`${id}: the target's broker is ${broker.kind}, not bullmq`);
    const redis = new elasticache.CfnReplicationGroup(this, 'Redis', {
      replicationGroupDescription: `${def.name} BullMQ`,
      engine: 'redis',
      cacheNodeType: broker.redis.elasticache.nodeType,
      numCacheClusters: 2,
      multiAzEnabled: true,
      automaticFailoverEnabled: true,
      atRestEncryptionEnabled: true,
      transitEncryptionEnabled: true,
      cacheSubnetGroupName: subnets.ref,
      securityGroupIds: [sg.securityGroupId],
      snapshotRetentionLimit: 1,
    });
    allow(redis, [
      ['AwsSolutions-AEC5', 'The default port: only the cluster security group can reach it.'],
      ['AwsSolutions-AEC6', 'BullMQ connects with TLS from inside the cluster only; AUTH would be a shared password in every pod for no added boundary.'],
    ]);
    new CfnOutput(this, 'RedisEndpoint', { value: redis.attrPrimaryEndPointAddress });
  }
}
