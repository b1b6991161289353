// A monthly AWS Budget at the expected cost of these stacks (docs/aws.md), alerting by email and
// SNS at 80% of actual spend and at 100% of the forecast.
import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as budgets from 'aws-cdk-lib/aws-budgets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { EksDefinition } from '../model/definition';
import { allow } from './nag';

export class BillingStack extends Stack {
  constructor(scope: Construct, id: string, def: EksDefinition, props: StackProps) {
    super(scope, id, props);
    const b = def.target.aws.budget;
    const topic = new sns.Topic(this, 'Alerts', { displayName: `${def.name} budget alerts`, enforceSSL: true });
    for (const email of b.alertEmails) topic.addSubscription(new subscriptions.EmailSubscription(email));
    topic.addToResourcePolicy(
      new iam.PolicyStatement({ actions: ['sns:Publish'], principals: [new iam.ServicePrincipal('budgets.amazonaws.com')], resources: [topic.topicArn] }),
    );
    allow(topic, [['AwsSolutions-SNS2', 'Budget alerts carry amounts, no secret; SSE would need a KMS key policy for budgets.amazonaws.com for nothing to hide.']]);
    const subscribers = [...b.alertEmails.map((address) => ({ subscriptionType: 'EMAIL', address })), { subscriptionType: 'SNS', address: topic.topicArn }];
    const notify = (notificationType: 'ACTUAL' | 'FORECASTED', threshold: number) => ({
      notification: { notificationType, comparisonOperator: 'GREATER_THAN', threshold, thresholdType: 'PERCENTAGE' },
      subscribers,
    });
    new budgets.CfnBudget(this, 'Monthly', {
      budget: { budgetName: `${def.name}-monthly`, budgetType: 'COST', timeUnit: 'MONTHLY', budgetLimit: { amount: b.monthlyUsd, unit: 'USD' } },
      notificationsWithSubscribers: [notify('ACTUAL', 80), notify('FORECASTED', 100)],
    });
    new CfnOutput(this, 'AlertTopicArn', { value: topic.topicArn });
  }
}
