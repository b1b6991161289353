// The second region (`aws.dr`, the seed's DR): what survives the loss of the primary region.
// - In the DR region (DrRegionStack): a KMS key of that region, an AWS Backup vault encrypted with
//   it, and the replica of the backups bucket.
// - In the primary region (DrCopyStack): a daily AWS Backup snapshot of the RDS primary, copied
//   into that vault and kept database.backupRetentionDays there; and (replicateBackups) the backups
//   bucket's replication rule to its replica.
// Cross-region names are derived, never CloudFormation references: a stack can only reference its
// own region, and these names are what an operator types when restoring.
import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EksDefinition } from '../model/definition';
import { allow } from './nag';

/** Names both regions agree on. */
export function drNames(def: EksDefinition) {
  const dr = def.target.aws.dr;
  if (!dr) throw new Error('drNames: the definition has no aws.dr');
  return {
    region: dr.region,
    vault: `${def.name}-dr`,
    keyAlias: `alias/${def.name}-dr`,
    bucket: `${def.target.aws.backups.bucket}-${dr.region}`,
  };
}

export class DrRegionStack extends Stack {
  constructor(scope: Construct, id: string, def: EksDefinition, props: StackProps) {
    super(scope, id, props);
    const n = drNames(def);
    const key = new kms.Key(this, 'Key', {
      alias: n.keyAlias,
      enableKeyRotation: true,
      description: `${def.name}: DR copies of the database in ${n.region}`,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const vault = new backup.CfnBackupVault(this, 'Vault', { backupVaultName: n.vault, encryptionKeyArn: key.keyArn });
    vault.applyRemovalPolicy(RemovalPolicy.RETAIN);

    const replica = new s3.Bucket(this, 'BackupsReplica', {
      bucketName: n.bucket,
      // Replication needs versioning on both sides.
      versioned: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'retention', expiration: Duration.days(def.target.aws.backups.retainDays), noncurrentVersionExpiration: Duration.days(def.target.aws.backups.retainDays) }],
    });
    allow(replica, [['AwsSolutions-S1', 'Written only by S3 replication from the backups bucket; CloudTrail records who reads it.']]);
    new CfnOutput(this, 'VaultName', { value: vault.backupVaultName });
    new CfnOutput(this, 'KeyArn', { value: key.keyArn });
    new CfnOutput(this, 'BackupsReplicaBucket', { value: replica.bucketName });
  }
}

/** Adds the rule that copies every dump of the backups bucket to its replica in the DR region. */
export function replicateBackups(bucket: s3.Bucket, def: EksDefinition): void {
  const n = drNames(def);
  const stack = Stack.of(bucket);
  const replica = `arn:${stack.partition}:s3:::${n.bucket}`;
  const role = new iam.Role(bucket, 'ReplicationRole', { assumedBy: new iam.ServicePrincipal('s3.amazonaws.com') });
  role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'], resources: [bucket.bucketArn] }));
  role.addToPolicy(
    new iam.PolicyStatement({ actions: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'], resources: [bucket.arnForObjects('*')] }),
  );
  role.addToPolicy(new iam.PolicyStatement({ actions: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'], resources: [`${replica}/*`] }));
  const why = 'Object ARNs end in /*: the objects of exactly the backups bucket and its replica (S3 replication reads and writes every object).';
  allow(role, [
    [`AwsSolutions-IAM5[Resource::<${stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket)}.Arn>/*]`, why],
    [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${n.bucket}/*]`, why],
  ]);
  (bucket.node.defaultChild as s3.CfnBucket).replicationConfiguration = {
    role: role.roleArn,
    rules: [
      {
        id: 'to-dr-region',
        status: 'Enabled',
        priority: 1,
        filter: { prefix: '' },
        deleteMarkerReplication: { status: 'Enabled' },
        destination: { bucket: replica },
      },
    ],
  };
}

/** In the primary region: a daily snapshot of the database, copied to the DR region's vault. */
export class DrCopyStack extends Stack {
  constructor(scope: Construct, id: string, def: EksDefinition, databaseArn: string, props: StackProps) {
    super(scope, id, props);
    const n = drNames(def);
    const days = def.target.aws.database.backupRetentionDays;
    // AWS Backup needs a vault in the source region too; the snapshot there is kept one day only.
    const local = new backup.CfnBackupVault(this, 'Vault', { backupVaultName: `${def.name}-primary` });
    local.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const drVaultArn = this.formatArn({ service: 'backup', region: n.region, resource: 'backup-vault', resourceName: n.vault, arnFormat: ArnFormat.COLON_RESOURCE_NAME });

    const role = new iam.Role(this, 'BackupRole', {
      assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSBackupServiceRolePolicyForBackup')],
    });
    // The copy is encrypted with the DR key: allowed on that key only, found by its alias.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['kms:DescribeKey', 'kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:CreateGrant'],
        resources: [this.formatArn({ service: 'kms', region: n.region, resource: 'key', resourceName: '*' })],
        conditions: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': n.keyAlias } },
      }),
    );
    allow(role, [
      ['AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]', 'The documented role policy of AWS Backup; it follows the services Backup supports.'],
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:${n.region}:${this.account}:key/*]`, "A key's ARN holds a random id the DR region makes; the condition limits it to the key carrying the DR alias, in that region."],
    ]);

    const plan = new backup.CfnBackupPlan(this, 'Plan', {
      backupPlan: {
        backupPlanName: `${def.name}-dr`,
        backupPlanRule: [
          {
            ruleName: 'daily-to-dr-region',
            targetBackupVault: local.attrBackupVaultName,
            scheduleExpression: 'cron(0 3 * * ? *)',
            startWindowMinutes: 60,
            completionWindowMinutes: 180,
            lifecycle: { deleteAfterDays: 1 },
            copyActions: [{ destinationBackupVaultArn: drVaultArn, lifecycle: { deleteAfterDays: days } }],
          },
        ],
      },
    });
    new backup.CfnBackupSelection(this, 'Database', {
      backupPlanId: plan.attrBackupPlanId,
      backupSelection: { selectionName: 'rds-primary', iamRoleArn: role.roleArn, resources: [databaseArn] },
    });
    new CfnOutput(this, 'DrVaultArn', { value: drVaultArn });
  }
}
