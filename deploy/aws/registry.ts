// The image repository: scanned on push, tags immutable (a tag names one build forever), and old
// images expire so storage stays bounded.
import { CfnOutput, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Construct } from 'constructs';
import { EksDefinition } from '../model/definition';

export class RegistryStack extends Stack {
  constructor(scope: Construct, id: string, def: EksDefinition, props: StackProps) {
    super(scope, id, props);
    const r = def.target.aws.registry;
    const repo = new ecr.Repository(this, 'Repository', {
      repositoryName: r.repository,
      imageScanOnPush: true,
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      encryption: ecr.RepositoryEncryption.AES_256,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        { description: 'untagged layers of failed pushes', tagStatus: ecr.TagStatus.UNTAGGED, maxImageAge: undefined, maxImageCount: 1, rulePriority: 1 },
        { description: `keep the last ${r.keepImages} images`, tagStatus: ecr.TagStatus.ANY, maxImageCount: r.keepImages, rulePriority: 2 },
      ],
    });
    new CfnOutput(this, 'RepositoryUri', { value: repo.repositoryUri });
  }
}
