// A versioned, encrypted bucket for database dumps (pg_dump before a cutover, say), next to RDS's
// own automated backups; old versions expire after the definition's retention. With `aws.dr`, every
// object is replicated to the second region (dr.ts).
import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { EksDefinition } from '../model/definition';
import { replicateBackups } from './dr';
import { allow } from './nag';

export class BackupsStack extends Stack {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, def: EksDefinition, props: StackProps) {
    super(scope, id, props);
    const b = def.target.aws.backups;
    const bucket = (this.bucket = new s3.Bucket(this, 'Dumps', {
      bucketName: b.bucket,
      versioned: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [{ id: 'retention', expiration: Duration.days(b.retainDays), noncurrentVersionExpiration: Duration.days(b.retainDays) }],
    }));
    if (def.target.aws.dr) replicateBackups(bucket, def);
    allow(bucket, [['AwsSolutions-S1', 'Written by an operator or a backup job a few times a day; CloudTrail records who did, access logs would add nothing.']]);
    new CfnOutput(this, 'BackupBucket', { value: bucket.bucketName });
  }
}
