// RDS PostgreSQL: Multi-AZ primary with gp3 storage, encrypted, 7-day backups, deletion
// protection, TLS forced, 0-2 read replicas; the master password is generated into Secrets
// Manager by CloudFormation (never in a template), and only the cluster's security group reaches it.
import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { EksDefinition } from '../model/definition';
import { lambdaLanes } from '../model/lambda-lanes';
import { admitMovePath } from './move-path';
import { allow } from './nag';

export const POSTGRES_PORT = 5432;

export class DataStack extends Stack {
  readonly primary: rds.DatabaseInstance;
  readonly replicas: rds.DatabaseInstanceReadReplica[] = [];
  /** The Lambda lanes' way in (aws.database.proxy), present only when some lane runs on Lambda. */
  readonly proxy?: rds.DatabaseProxy;

  constructor(scope: Construct, id: string, def: EksDefinition, vpc: ec2.IVpc, clusterSecurityGroupId: string, props: StackProps) {
    super(scope, id, props);
    const db = def.target.aws.database;
    const pg = def.dependencies.postgres;
    const sg = new ec2.SecurityGroup(this, 'DatabaseSg', { vpc, description: 'PostgreSQL from the EKS cluster only', allowAllOutbound: false });
    // Every node and pod of the cluster carries the cluster security group EKS creates.
    sg.addIngressRule(ec2.Peer.securityGroupId(clusterSecurityGroupId), ec2.Port.tcp(POSTGRES_PORT), 'EKS cluster security group');
    admitMovePath(sg, def, POSTGRES_PORT);

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
        // Its own volume: gp3 like the primary (RDS would make it gp2).
        storageType: rds.StorageType.GP3,
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

    if (lambdaLanes(def).length) this.proxy = this.addProxy(def, vpc, clusterSecurityGroupId);

    new CfnOutput(this, 'DatabaseEndpoint', { value: this.primary.dbInstanceEndpointAddress });
    new CfnOutput(this, 'DatabaseSecretArn', { value: this.primary.secret!.secretArn });
  }

  /**
   * RDS Proxy for the Lambda lanes: TLS required, IAM auth required (the functions hold no
   * password), and the proxy itself logs in as the app's user with a secret generated here. Its
   * security group takes the functions' ingress rule (added by the workers stack); the proxy
   * target adds the rules between it and the database.
   */
  private addProxy(def: EksDefinition, vpc: ec2.IVpc, clusterSecurityGroupId: string): rds.DatabaseProxy {
    const settings = def.target.aws.database.proxy!;
    const proxySg = new ec2.SecurityGroup(this, 'ProxySg', { vpc, description: 'RDS Proxy: from the Lambda workers, to PostgreSQL', allowAllOutbound: false });
    // Pods may use the proxy too (same user, same TLS); they reach the database directly today.
    proxySg.addIngressRule(ec2.Peer.securityGroupId(clusterSecurityGroupId), ec2.Port.tcp(POSTGRES_PORT), 'EKS cluster security group');
    // Generated here, not imported by name: a name gives a partial ARN, which RDS Proxy refuses
    // (aws-cdk#11117). The operator sets the app user's password from it (docs/aws.md).
    const appUser = new secretsmanager.Secret(this, 'AppUserSecret', {
      secretName: settings.secretName,
      description: `${def.name}: the app's database user, as RDS Proxy logs in`,
      generateSecretString: { secretStringTemplate: JSON.stringify({ username: settings.user }), generateStringKey: 'password', excludePunctuation: true, passwordLength: 32 },
    });
    allow(appUser, [['AwsSolutions-SMG4', 'Rotation needs a rotation Lambda and a change of the Postgres user in step; the password never leaves Secrets Manager and the proxy (functions sign in with IAM).']]);
    const proxy = new rds.DatabaseProxy(this, 'Proxy', {
      proxyTarget: rds.ProxyTarget.fromInstance(this.primary),
      secrets: [appUser],
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [proxySg],
      requireTLS: true,
      iamAuth: true,
      maxConnectionsPercent: settings.maxConnectionsPercent,
      dbProxyName: `${def.name}-workers`,
    });
    new CfnOutput(this, 'ProxyEndpoint', { value: proxy.endpoint });
    new CfnOutput(this, 'AppUserSecretArn', { value: appUser.secretArn });
    return proxy;
  }
}
