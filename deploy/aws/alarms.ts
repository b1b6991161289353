// CloudWatch alarms and a dashboard for the EKS target, with the thresholds of the definition's
// `alerts`: the same numbers deploy/monitoring/ renders into the Prometheus rules on Hetzner
// (alarms.spec.ts changes one and watches both outputs move). Alarms notify an SNS topic (KMS
// encrypted, email subscriptions from aws.alarms.emails); the FIS experiments (chaos.ts) stop on them.
// Container Insights comes from the cluster stack's amazon-cloudwatch-observability add-on.
import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { Lane } from '@spillway/config/lanes';
import { slotServiceName } from '../eks/names';
import { albName } from '../eks/traffic';
import { EksDefinition } from '../model/definition';
import { functionName, lambdaLanes } from '../model/lambda-lanes';
import { allLanes, queueName } from '../model/queues';
import { cacheNodeSuffixes, replicationGroupId } from '../model/redis';
import { DataStack } from './data';

const MINUTE = Duration.minutes(1);
const GiB = 1024 ** 3;

/** Alarm names, fixed so other stacks (FIS stop conditions) and operators can name them. */
export const alarmName = {
  oldestAge: (def: EksDefinition, lane: Lane) => `${def.name}-${lane}-oldest-event-age`,
  deadLetters: (def: EksDefinition, lane: Lane) => `${def.name}-${lane}-dead-letters`,
  ingest5xx: (def: EksDefinition) => `${def.name}-ingest-5xx`,
  responseTime: (def: EksDefinition) => `${def.name}-ingest-p99`,
  absorberAtMax: (def: EksDefinition) => `${def.name}-absorber-at-max`,
  database: (def: EksDefinition, what: string) => `${def.name}-database-${what}`,
  /** A node of BullMQ's replication group (`001`, `002`) on an EKS target whose broker is bullmq. */
  redisMemory: (def: EksDefinition, node: string) => `${def.name}-redis-${node}-memory`,
  /** A Lambda lane's function (its name, e.g. spillway-worker-low): `errors` or `throttles`. */
  lambda: (fn: string, what: 'errors' | 'throttles') => `${fn}-${what}`,
};

/**
 * What says the service is hurting its clients: experiments stop when one of these fires. On BullMQ
 * no lane's age is a CloudWatch metric (it is the apps' Prometheus figure), so only the 5xx share.
 */
export function serviceHealthAlarms(def: EksDefinition): string[] {
  const lanes = def.target.broker.kind === 'sqs' ? allLanes().map((l) => alarmName.oldestAge(def, l)) : [];
  return [alarmName.ingest5xx(def), ...lanes];
}

export class AlarmsStack extends Stack {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, def: EksDefinition, data: DataStack, props: StackProps) {
    super(scope, id, props);
    const a = def.alerts;
    const key = new kms.Key(this, 'TopicKey', { enableKeyRotation: true, description: `${def.name}: alarm notifications` });
    // CloudWatch publishes to the encrypted topic with this key.
    key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey');
    this.topic = new sns.Topic(this, 'Alerts', { displayName: `${def.name} alarms`, enforceSSL: true, masterKey: key });
    for (const email of def.target.aws.alarms.emails) this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    const notify = new actions.SnsAction(this.topic);

    const alarm = (name: string, metric: cw.IMetric, threshold: number, periods: number, description: string, op = cw.ComparisonOperator.GREATER_THAN_THRESHOLD, datapoints = periods) => {
      const al = new cw.Alarm(this, name, {
        alarmName: name,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: periods,
        // Only where it differs from evaluationPeriods (its default): the other alarms stay as rendered.
        ...(datapoints !== periods ? { datapointsToAlarm: datapoints } : {}),
        comparisonOperator: op,
        // No data means nothing waits, nothing failed, or nothing was asked: not an alert.
        treatMissingData: cw.TreatMissingData.NOT_BREACHING,
      });
      al.addAlarmAction(notify);
      al.addOkAction(notify);
      return al;
    };

    const sqs = (metricName: string, queue: string) =>
      new cw.Metric({ namespace: 'AWS/SQS', metricName, dimensionsMap: { QueueName: queue }, statistic: 'Maximum', period: MINUTE });
    const laneWidgets: cw.IWidget[] = [];
    // SQS publishes each lane's age and its DLQ's depth; BullMQ's lanes live in Redis, whose memory is what runs out.
    const sqsLanes = def.target.broker.kind === 'sqs' ? allLanes() : [];
    for (const lane of sqsLanes) {
      const age = sqs('ApproximateAgeOfOldestMessage', queueName(def.queuePrefix, lane));
      const dead = sqs('ApproximateNumberOfMessagesVisible', queueName(def.queuePrefix, lane, true));
      const ageAlarm = alarm(alarmName.oldestAge(def, lane), age, a.oldestEventSeconds[lane], a.forMinutes, `Lane ${lane}: the oldest waiting event is older than ${a.oldestEventSeconds[lane]} s (workers behind or stopped).`);
      // Dead letters fire at once, as in the Prometheus rule.
      const deadAlarm = alarm(alarmName.deadLetters(def, lane), dead, a.deadLetters, 1, `Lane ${lane}: dead letters in its DLQ; see npm run status, fix, then redrive.`);
      laneWidgets.push(new cw.AlarmWidget({ title: `${lane}: oldest event (s)`, alarm: ageAlarm, width: 8 }), new cw.AlarmWidget({ title: `${lane}: dead letters`, alarm: deadAlarm, width: 8 }));
    }

    if (def.target.broker.kind === 'bullmq') {
      // noeviction: a full Redis refuses writes (the absorber answers 503), as a full disk does;
      // the same share as diskFreeRatio alerts first. Either node may be the primary after a failover.
      const full = Math.round((1 - a.diskFreeRatio) * 100);
      for (const node of cacheNodeSuffixes()) {
        const metric = new cw.Metric({ namespace: 'AWS/ElastiCache', metricName: 'DatabaseMemoryUsagePercentage', dimensionsMap: { CacheClusterId: `${replicationGroupId(def)}-${node}` }, statistic: 'Maximum', period: MINUTE });
        const memory = alarm(alarmName.redisMemory(def, node), metric, full, a.forMinutes, `Redis node ${node} holds more than ${full}% of its memory: at 100% BullMQ's writes are refused (noeviction).`);
        laneWidgets.push(new cw.AlarmWidget({ title: `redis ${node}: memory (%)`, alarm: memory, width: 8 }));
      }
    }

    // A Lambda lane's age is its queue's (the oldest-event alarm above); the function adds its own two.
    // Any error or throttle fires at once and clears after forMinutes without one: an error is a
    // whole batch back on the queue (a poison record is reported, not an error), a throttle is the
    // account's concurrency running out under the mapping's maximum.
    const lambdaMetric = (metricName: string, fn: string) =>
      new cw.Metric({ namespace: 'AWS/Lambda', metricName, dimensionsMap: { FunctionName: fn }, statistic: 'Sum', period: MINUTE });
    const lambdaWidgets: cw.IWidget[] = [];
    for (const { svc, lane } of lambdaLanes(def)) {
      const fn = functionName(def, svc, lane);
      const errorsAlarm = alarm(alarmName.lambda(fn, 'errors'), lambdaMetric('Errors', fn), 0, a.forMinutes, `Lane ${lane} on Lambda: ${fn} failed whole batches (they return to the queue; see its log group).`, undefined, 1);
      const throttlesAlarm = alarm(alarmName.lambda(fn, 'throttles'), lambdaMetric('Throttles', fn), 0, a.forMinutes, `Lane ${lane} on Lambda: ${fn} was throttled (account concurrency); its queue backs up.`, undefined, 1);
      lambdaWidgets.push(new cw.AlarmWidget({ title: `${lane} on Lambda: errors`, alarm: errorsAlarm, width: 8 }), new cw.AlarmWidget({ title: `${lane} on Lambda: throttles`, alarm: throttlesAlarm, width: 8 }));
    }

    // The Ingress pins the ALB's name; the dimension adds the id AWS gives it (app/<name>/<id>).
    const absorber = def.services.find((s) => s.role === 'absorber')!;
    const pinned = albName(def, absorber);
    if (def.target.aws.alarms.loadBalancer.split('/')[1] !== pinned) {
      throw new Error(`aws.alarms.loadBalancer is "${def.target.aws.alarms.loadBalancer}" but the Ingress names its ALB "${pinned}": use app/${pinned}/<id>`);
    }
    const alb = (metricName: string, statistic: string) =>
      new cw.Metric({ namespace: 'AWS/ApplicationELB', metricName, dimensionsMap: { LoadBalancer: def.target.aws.alarms.loadBalancer }, statistic, period: MINUTE });
    // The share of answers that were 5xx: the absorber's own and the ALB's (no healthy target).
    const errorRatio = new cw.MathExpression({
      expression: 'IF(req > 0, (FILL(target5xx, 0) + FILL(elb5xx, 0)) / req, 0)',
      usingMetrics: { req: alb('RequestCount', 'Sum'), target5xx: alb('HTTPCode_Target_5XX_Count', 'Sum'), elb5xx: alb('HTTPCode_ELB_5XX_Count', 'Sum') },
      period: MINUTE,
      label: '5xx share',
    });
    const errors = alarm(alarmName.ingest5xx(def), errorRatio, a.serverErrorRatio, a.forMinutes, `More than ${a.serverErrorRatio * 100}% of ingest answers are 5xx.`);
    const p99 = alarm(alarmName.responseTime(def), alb('TargetResponseTime', 'p99'), a.responseP99Seconds, a.forMinutes, `The absorber's p99 answer time is above ${a.responseP99Seconds} s.`);

    const rds = (metricName: string, id: string, statistic = 'Average') =>
      new cw.Metric({ namespace: 'AWS/RDS', metricName, dimensionsMap: { DBInstanceIdentifier: id }, statistic, period: MINUTE });
    const primary = data.primary.instanceIdentifier;
    const freeBytes = Math.round(a.diskFreeRatio * def.target.aws.database.storageGiB * GiB);
    const dbAlarms = [
      alarm(alarmName.database(def, 'cpu'), rds('CPUUtilization', primary), a.database.cpuPercent, a.forMinutes, `Database CPU above ${a.database.cpuPercent}%.`),
      alarm(alarmName.database(def, 'free-storage'), rds('FreeStorageSpace', primary, 'Minimum'), freeBytes, a.forMinutes, `Less than ${a.diskFreeRatio * 100}% of the database's storage is free: writes stop when it is full.`, cw.ComparisonOperator.LESS_THAN_THRESHOLD),
      alarm(alarmName.database(def, 'connections'), rds('DatabaseConnections', primary, 'Maximum'), a.database.connections, a.forMinutes, `More than ${a.database.connections} database connections.`),
      ...data.replicas.map((r, i) =>
        alarm(alarmName.database(def, `replica${i + 1}-lag`), rds('ReplicaLag', r.instanceIdentifier, 'Maximum'), a.database.replicaLagSeconds, a.forMinutes, `Read replica ${i + 1} is more than ${a.database.replicaLagSeconds} s behind.`),
      ),
    ];

    // Container Insights (the cloudwatch-observability add-on): running pods behind each slot's
    // Service. The live slot is the one at its maximum: a cutover moves traffic (and the HPA's load)
    // to the other slot without a synth, so the alarm reads both and takes the larger.
    const slotPods = (slot: 'blue' | 'green') =>
      new cw.Metric({
        namespace: 'ContainerInsights',
        metricName: 'service_number_of_running_pods',
        dimensionsMap: { ClusterName: def.target.cluster, Namespace: def.target.namespace, Service: slotServiceName(absorber, slot) },
        statistic: 'Maximum',
        period: MINUTE,
      });
    const absorberPods = new cw.MathExpression({
      expression: 'MAX([FILL(blue, 0), FILL(green, 0)])',
      usingMetrics: { blue: slotPods('blue'), green: slotPods('green') },
      period: MINUTE,
      label: 'absorber pods (live slot)',
    });
    const atMax = alarm(alarmName.absorberAtMax(def), absorberPods, absorber.autoscaling.max, a.forMinutes, `The absorber's live slot runs its HPA maximum of ${absorber.autoscaling.max} pods: more load cannot be absorbed.`, cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD);

    new cw.Dashboard(this, 'Dashboard', {
      dashboardName: def.name,
      widgets: [
        laneWidgets,
        ...(lambdaWidgets.length ? [lambdaWidgets] : []),
        [new cw.AlarmWidget({ title: 'ingest 5xx share', alarm: errors, width: 8 }), new cw.AlarmWidget({ title: 'ingest p99 (s)', alarm: p99, width: 8 }), new cw.AlarmWidget({ title: 'absorber pods', alarm: atMax, width: 8 })],
        dbAlarms.map((al) => new cw.AlarmWidget({ title: al.node.id.replace(`${def.name}-`, ''), alarm: al, width: 6 })),
      ],
    });
  }
}
