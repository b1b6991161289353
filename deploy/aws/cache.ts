// An EKS target whose broker is BullMQ (`broker: { kind: 'bullmq', redis: { elasticache } }`):
// ElastiCache Redis, Multi-AZ with automatic failover, encrypted at rest and in transit, AUTH on,
// reachable from the cluster security group only. Two secrets: the AUTH token, generated, which only
// CloudFormation reads (for the replication group and the second secret); and `<prefix>/redis`, which
// External Secrets maps for the pods (REDIS_URL) and KEDA (address, password). The second exists
// because the primary endpoint is known only once the group exists, after the token must be.
import { CfnOutput, SecretValue, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { EksDefinition } from '../model/definition';
import { CACHE_NODES, EKS_REDIS_PORT, REDIS_SECRET_PROPERTIES, redisSecretKey, redisTokenSecretKey, replicationGroupId } from '../model/redis';
import { allow } from './nag';

/** Engine and its parameter group family: they move together. */
const ENGINE_VERSION = '7.1';
const PARAMETER_FAMILY = 'redis7';

export class CacheStack extends Stack {
  constructor(scope: Construct, id: string, def: EksDefinition, vpc: ec2.IVpc, clusterSecurityGroupId: string, props: StackProps) {
    super(scope, id, props);
    const broker = def.target.broker;
    if (broker.kind !== 'bullmq') throw new Error(`${id}: the target's broker is ${broker.kind}, not bullmq`);
    const sg = new ec2.SecurityGroup(this, 'RedisSg', { vpc, description: 'Redis from the EKS cluster only', allowAllOutbound: false });
    sg.addIngressRule(ec2.Peer.securityGroupId(clusterSecurityGroupId), ec2.Port.tcp(EKS_REDIS_PORT), 'EKS cluster security group');
    const subnets = new elasticache.CfnSubnetGroup(this, 'Subnets', {
      description: 'private subnets',
      subnetIds: vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds,
    });
    // BullMQ needs noeviction: an evicted key is a lost job. A full Redis refuses writes instead
    // (the absorber answers 503), as maxmemory does on the compose target.
    const parameters = new elasticache.CfnParameterGroup(this, 'Parameters', {
      cacheParameterGroupFamily: PARAMETER_FAMILY,
      description: `${def.name} BullMQ: noeviction`,
      properties: { 'maxmemory-policy': 'noeviction' },
    });
    // ElastiCache's AUTH token: 16-128 printable characters without @, " or /; letters and digits only
    // also keep it as is inside a URL.
    const token = new secretsmanager.Secret(this, 'Token', {
      secretName: redisTokenSecretKey(def),
      description: `${def.name}: the ElastiCache AUTH token (CloudFormation reads it; the pods read ${redisSecretKey(def)})`,
      generateSecretString: { excludePunctuation: true, passwordLength: 64 },
    });
    const redis = new elasticache.CfnReplicationGroup(this, 'Redis', {
      replicationGroupId: replicationGroupId(def),
      replicationGroupDescription: `${def.name} BullMQ`,
      engine: 'redis',
      engineVersion: ENGINE_VERSION,
      cacheParameterGroupName: parameters.ref,
      cacheNodeType: broker.redis.elasticache.nodeType,
      numCacheClusters: CACHE_NODES,
      multiAzEnabled: true,
      automaticFailoverEnabled: true,
      atRestEncryptionEnabled: true,
      transitEncryptionEnabled: true,
      // A dynamic reference: the token is resolved by CloudFormation, never written into the template.
      authToken: token.secretValue.unsafeUnwrap(),
      port: EKS_REDIS_PORT,
      cacheSubnetGroupName: subnets.ref,
      securityGroupIds: [sg.securityGroupId],
      snapshotRetentionLimit: 1,
    });
    allow(redis, [['AwsSolutions-AEC5', 'The default port: only the cluster security group can reach it.']]);

    const address = `${redis.attrPrimaryEndPointAddress}:${EKS_REDIS_PORT}`;
    const password = token.secretValue.unsafeUnwrap();
    // Built by CloudFormation from the token's dynamic reference and the endpoint: the token stays out of the template.
    const url = `rediss://:${password}@${address}`;
    const forPods = new secretsmanager.Secret(this, 'Connection', {
      secretName: redisSecretKey(def),
      description: `${def.name}: BullMQ's Redis for the pods (REDIS_URL) and KEDA (address, password), through External Secrets`,
      secretObjectValue: {
        [REDIS_SECRET_PROPERTIES.url]: SecretValue.unsafePlainText(url),
        [REDIS_SECRET_PROPERTIES.address]: SecretValue.unsafePlainText(address),
        [REDIS_SECRET_PROPERTIES.password]: token.secretValue,
      },
    });
    for (const secret of [token, forPods]) allow(secret, [['AwsSolutions-SMG4', 'Rotating the AUTH token needs a rotation Lambda, the replication group\'s ROTATE/SET strategy and the pods\' secret in step; it never leaves Secrets Manager, ElastiCache and the cluster.']]);
    new CfnOutput(this, 'RedisEndpoint', { value: redis.attrPrimaryEndPointAddress });
    new CfnOutput(this, 'RedisSecretArn', { value: forPods.secretArn });
  }
}
