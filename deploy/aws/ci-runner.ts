// GitHub Actions runners that start inside the VPC: a CodeBuild project whose GitHub webhook answers
// WORKFLOW_JOB_QUEUED. A job with `runs-on: codebuild-<project>-${{ github.run_id }}-${{ github.run_attempt }}`
// then runs in a fresh CodeBuild container in the private subnets, which reaches the cluster's
// private API endpoint (GitHub-hosted runners come from addresses aws.cluster.apiAllowedCidrs does
// not list, and list too many to add). The project's own role may only run there and write its
// logs; the jobs assume the duty roles of deploy/aws/ci.ts with GitHub's OIDC token.
import { CfnElement, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { EksDefinition } from '../model/definition';
import { allow } from './nag';

/** The CodeBuild project whose runners take the deploy jobs (`runs-on: codebuild-<this>-...`). */
export const runnerProjectName = (def: EksDefinition) => `${def.name}-github-runner`;

/** The `runs-on` label of a job that must run inside the VPC. */
export const vpcRunnerLabel = (project: string) => `codebuild-${project}-\${{ github.run_id }}-\${{ github.run_attempt }}`;

/** CodeBuild's managed image for Actions runners: Node, git and the AWS CLI preinstalled. */
export const RUNNER_IMAGE = 'aws/codebuild/amazonlinux-x86_64-standard:5.0';

export class GitHubRunner extends Construct {
  readonly project: codebuild.CfnProject;

  constructor(scope: Construct, id: string, def: EksDefinition, vpc: ec2.IVpc, clusterSecurityGroupId: string) {
    super(scope, id);
    const name = runnerProjectName(def);
    const stack = Stack.of(this);
    const subnets = vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnets;
    const sg = new ec2.SecurityGroup(this, 'Sg', { vpc, description: `${name}: GitHub Actions runners (npm, GitHub, AWS APIs, the cluster API)`, allowAllOutbound: true });
    // EKS's cluster security group guards the private API endpoint; it admits only itself by default.
    new ec2.CfnSecurityGroupIngress(this, 'ApiFromRunner', {
      groupId: clusterSecurityGroupId,
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      sourceSecurityGroupId: sg.securityGroupId,
      description: `${name}: kubectl to the private API endpoint`,
    });
    const logGroup = new logs.LogGroup(this, 'Logs', { logGroupName: `/aws/codebuild/${name}`, retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });

    const role = new iam.Role(this, 'ServiceRole', { assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com'), description: `${name}: run in the VPC, log, read the GitHub connection` });
    role.addToPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn, `${logGroup.logGroupArn}:*`] }));
    // What CodeBuild needs to place a build's network interface in the VPC (its documented VPC policy).
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ec2:CreateNetworkInterface', 'ec2:DescribeDhcpOptions', 'ec2:DescribeNetworkInterfaces', 'ec2:DeleteNetworkInterface', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups', 'ec2:DescribeVpcs'],
        resources: ['*'],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ec2:CreateNetworkInterfacePermission'],
        resources: [stack.formatArn({ service: 'ec2', resource: 'network-interface', resourceName: '*' })],
        conditions: {
          StringEquals: { 'ec2:AuthorizedService': 'codebuild.amazonaws.com' },
          ArnEquals: { 'ec2:Subnet': subnets.map((s) => stack.formatArn({ service: 'ec2', resource: 'subnet', resourceName: s.subnetId })) },
        },
      }),
    );
    role.addToPolicy(new iam.PolicyStatement({ actions: ['codeconnections:GetConnectionToken', 'codeconnections:GetConnection', 'codeconnections:UseConnection'], resources: [def.release.runner.connectionArn] }));
    allow(role, [
      ['AwsSolutions-IAM5[Resource::*]', "EC2's network-interface calls for a VPC build take no resource ARN (CodeBuild's documented VPC policy); creating the interface's permission is limited to the runner's subnets."],
      [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:${stack.region}:${stack.account}:network-interface/*]`, 'Network interfaces CodeBuild creates have no name beforehand; the statement is limited to codebuild.amazonaws.com in the private subnets.'],
      [`AwsSolutions-IAM5[Resource::<${stack.getLogicalId(logGroup.node.defaultChild as CfnElement)}.Arn>:*]`, "Log streams of the project's own log group."],
    ]);

    this.project = new codebuild.CfnProject(this, 'Project', {
      name,
      description: `GitHub Actions runners for ${def.release.repository}, in the VPC's private subnets`,
      serviceRole: role.roleArn,
      source: { type: 'GITHUB', location: `https://github.com/${def.release.repository}.git`, auth: { type: 'CODECONNECTIONS', resource: def.release.runner.connectionArn } },
      artifacts: { type: 'NO_ARTIFACTS' },
      environment: { type: 'LINUX_CONTAINER', computeType: def.release.runner.computeType, image: RUNNER_IMAGE, privilegedMode: false },
      // Only queued workflow jobs start a build; the job's own `runs-on` names this project.
      triggers: { webhook: true, filterGroups: [[{ type: 'EVENT', pattern: 'WORKFLOW_JOB_QUEUED' }]] },
      vpcConfig: { vpcId: vpc.vpcId, subnets: subnets.map((s) => s.subnetId), securityGroupIds: [sg.securityGroupId] },
      logsConfig: { cloudWatchLogs: { status: 'ENABLED', groupName: logGroup.logGroupName } },
      timeoutInMinutes: 60,
    });
    allow(this.project, [['AwsSolutions-CB4', 'NO_ARTIFACTS: the runner stores nothing; its logs go to its own log group.']]);
  }
}
