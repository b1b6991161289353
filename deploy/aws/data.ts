// RDS PostgreSQL: Multi-AZ primary with gp3 storage, encrypted, 7-day backups, deletion
// protection, TLS forced, 0-2 read replicas; the master password is generated into Secrets
// Manager by CloudFormation (never in a template), and only the cluster's security group reaches it.
import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import { Construct } from 'constructs';
import { SpillwayDefinition } from '../model/definition';
import { allow } from './nag';

export const POSTGRES_PORT = 5432;

export class DataStack extends Stack {
  readonly primary: rds.DatabaseInstance;
  readonly replicas: rds.DatabaseInstanceReadReplica[] = [];

  constructor(scope: Construct, id: string, def: SpillwayDefinition, vpc: ec2.IVpc, clusterSecurityGroupId: string, props: StackProps) {
    super(scope, id, props);
    const db = def.aws.database;
    const pg = def.dependencies.postgres;
    const sg = new ec2.SecurityGroup(this, 'DatabaseSg', { vpc, description: 'PostgreSQL from the EKS cluster only', allowAllOutbound: false });
    // Every node and pod of the cluster carries the cluster security group EKS creates.
    sg.addIngressRule(ec2.Peer.securityGroupId(clusterSecurityGroupId), ec2.Port.tcp(POSTGRES_PORT), 'EKS cluster security group');

    const engine = rds.DatabaseInstanceEngine.postgres({
      version: rds.PostgresEngineVersion.of(db.engineVersion, db.engineVersion.split('.')[0]),
    });
    const parameterGroup = new rds.ParameterGroup(this, 'Parameters', { engine, parameters: { 'rds.force_ssl': '1' } });
    const instanceType = new ec2.InstanceType(db.instanceClass.replace(/^db\./, ''));
    this.primary = new rds.DatabaseInstance(this, 'Primary', {
      engine,
      instanceType,
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [sg],
      port: POSTGRES_PORT,
      databaseName: pg.database,
      credentials: rds.Credentials.fromGeneratedSecret(pg.user, { secretName: `${def.name}/rds-master` }),
      multiAz: db.multiAz,
      allocatedStorage: db.storageGiB,
      storageType: rds.StorageType.GP3,
      storageEncrypted: true,
      backupRetention: Duration.days(db.backupRetentionDays),
      deletionProtection: db.deletionProtection,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      parameterGroup,
      iamAuthentication: true,
      autoMinorVersionUpgrade: true,
      enablePerformanceInsights: true,
      cloudwatchLogsExports: ['postgresql', 'upgrade'],
    });
    allow(this.primary, [
      ['AwsSolutions-RDS11', 'The default port: only the cluster security group can reach it, and a different number hides nothing from a scanner already inside the VPC.'],
      ['AwsSolutions-SMG4', 'Rotating the master password needs a rotation Lambda (a CDK asset this offline build cannot check); the apps use their own database user from spillway/prod.'],
    ]);

    for (let i = 1; i <= db.readReplicas; i++) {
      const replica = new rds.DatabaseInstanceReadReplica(this, `Replica${i}`, {
        sourceDatabaseInstance: this.primary,
        instanceType,
        vpc,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
        securityGroups: [sg],
        parameterGroup,
        // Encryption is the source's (a replica of an encrypted instance is encrypted).
        deletionProtection: db.deletionProtection,
        removalPolicy: RemovalPolicy.SNAPSHOT,
        autoMinorVersionUpgrade: true,
        enablePerformanceInsights: true,
      });
      allow(replica, [
        ['AwsSolutions-RDS3', 'A read replica is one instance by design; the primary is the Multi-AZ one and a replica is rebuilt from it.'],
        ['AwsSolutions-RDS11', 'The default port: only the cluster security group can reach it.'],
        ['AwsSolutions-RDS13', 'Replicas take no automated backups; the primary keeps them.'],
        ['AwsSolutions-RDS2', 'Encrypted because its source is; CloudFormation refuses StorageEncrypted on a replica (cloudformation-validate F3020).'],
      ]);
      this.replicas.push(replica);
      new CfnOutput(this, `Replica${i}Endpoint`, { value: replica.dbInstanceEndpointAddress });
    }

    new CfnOutput(this, 'DatabaseEndpoint', { value: this.primary.dbInstanceEndpointAddress });
    new CfnOutput(this, 'DatabaseSecretArn', { value: this.primary.secret!.secretArn });
  }
}
