// The CloudWatch alarms: what each watches, with which threshold, and that the thresholds are the
// ones the Prometheus rules use (one place, `alerts`: change it once, both outputs move).
import { Match, Template } from 'aws-cdk-lib/assertions';
import { alertRules } from '../monitoring/prometheus-rules';
import { EksDefinition } from '../model/definition';
import { albName } from '../eks/traffic';
import { spillway as definition } from '../spillway';
import { eksDefinition } from '../model/targets';
import { alarmName } from './alarms';
import { buildAwsApp } from './app';

const spillway = eksDefinition(definition);

// Synthesizing an app takes a second or two: once per definition object.
const synthesized = new Map<EksDefinition, Template>();
const alarmsOf = (def: EksDefinition) => {
  if (!synthesized.has(def)) synthesized.set(def, Template.fromStack(buildAwsApp(def).stacks.find((s) => s.stackName === `${def.target.aws.stackPrefix}-alarms`)!));
  return synthesized.get(def)!;
};
const alarmProps = (t: Template, name: string) => {
  const found = Object.values(t.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: name } }));
  expect(found).toHaveLength(1);
  return found[0].Properties;
};
const rule = (def: EksDefinition, alert: string, lane?: string) =>
  alertRules(def).groups[0].rules.find((r) => r.alert === alert && (!lane || r.labels.lane === lane))!;

const seed = alarmsOf(spillway);
const a = spillway.alerts;

describe('CloudWatch alarms of the reference definition', () => {
  it('per lane: age of the oldest message after forMinutes, dead letters at once', () => {
    for (const lane of ['critical', 'normal', 'low'] as const) {
      expect(alarmProps(seed, alarmName.oldestAge(spillway, lane))).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: lane === 'critical' ? 'spillway-critical.fifo' : `spillway-${lane}` }],
        Threshold: a.oldestEventSeconds[lane],
        EvaluationPeriods: a.forMinutes,
        ComparisonOperator: 'GreaterThanThreshold',
      });
      expect(alarmProps(seed, alarmName.deadLetters(spillway, lane))).toMatchObject({
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: lane === 'critical' ? 'spillway-critical-dlq.fifo' : `spillway-${lane}-dlq` }],
        Threshold: 0,
        EvaluationPeriods: 1,
      });
    }
  });

  it('ALB: the 5xx share (absorber and ALB answers) and the p99 target response time', () => {
    const errors = alarmProps(seed, alarmName.ingest5xx(spillway));
    expect(errors.Threshold).toBe(a.serverErrorRatio);
    expect(JSON.stringify(errors.Metrics)).toContain('HTTPCode_Target_5XX_Count');
    expect(JSON.stringify(errors.Metrics)).toContain('HTTPCode_ELB_5XX_Count');
    expect(JSON.stringify(errors.Metrics)).toContain(spillway.target.aws.alarms.loadBalancer);
    expect(alarmProps(seed, alarmName.responseTime(spillway))).toMatchObject({ MetricName: 'TargetResponseTime', ExtendedStatistic: 'p99', Threshold: a.responseP99Seconds });
  });

  it('RDS: CPU, free storage (diskFreeRatio of the allocated GB), connections, replica lag', () => {
    expect(alarmProps(seed, alarmName.database(spillway, 'cpu'))).toMatchObject({ MetricName: 'CPUUtilization', Threshold: a.database.cpuPercent });
    expect(alarmProps(seed, alarmName.database(spillway, 'free-storage'))).toMatchObject({
      MetricName: 'FreeStorageSpace',
      Threshold: Math.round(0.15 * 100 * 1024 ** 3),
      ComparisonOperator: 'LessThanThreshold',
    });
    expect(alarmProps(seed, alarmName.database(spillway, 'connections'))).toMatchObject({ MetricName: 'DatabaseConnections', Threshold: a.database.connections });
    expect(alarmProps(seed, alarmName.database(spillway, 'replica1-lag'))).toMatchObject({ MetricName: 'ReplicaLag', Threshold: a.database.replicaLagSeconds });
  });

  it('the absorber at its HPA maximum: the larger of both slots, so it follows the live one through a cutover', () => {
    const props = alarmProps(seed, alarmName.absorberAtMax(spillway));
    expect(props).toMatchObject({ Threshold: 50, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    const metrics = props.Metrics as Array<{ Id: string; Expression?: string; MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: Array<{ Name: string; Value: string }> } } }>;
    expect(metrics.find((m) => m.Expression)!.Expression).toBe('MAX([FILL(blue, 0), FILL(green, 0)])');
    const services = metrics.filter((m) => m.MetricStat).map((m) => {
      expect(m.MetricStat!.Metric).toMatchObject({ Namespace: 'ContainerInsights', MetricName: 'service_number_of_running_pods' });
      expect(m.MetricStat!.Metric.Dimensions).toContainEqual({ Name: 'ClusterName', Value: 'spillway-prod' });
      return m.MetricStat!.Metric.Dimensions.find((d) => d.Name === 'Service')!.Value;
    });
    expect(services.sort()).toEqual(['absorber-blue', 'absorber-green']);
  });

  it("the ALB alarms name the ALB the Ingress pins; a definition naming another is refused", () => {
    expect(spillway.target.aws.alarms.loadBalancer.split('/')[1]).toBe(albName(spillway, spillway.services.find((s) => s.role === 'absorber')!));
    const other = structuredClone(spillway);
    other.target.aws.alarms.loadBalancer = 'app/k8s-spillway-absorber-0123456789/0123456789abcdef';
    expect(() => buildAwsApp(other)).toThrow('aws.alarms.loadBalancer is "app/k8s-spillway-absorber-0123456789/0123456789abcdef" but the Ingress names its ALB "spillway-absorber": use app/spillway-absorber/<id>');
  });

  it('every alarm notifies the KMS-encrypted topic the definition subscribes by email; one dashboard', () => {
    const topic = Object.keys(seed.findResources('AWS::SNS::Topic'))[0];
    for (const al of Object.values(seed.findResources('AWS::CloudWatch::Alarm'))) expect(al.Properties.AlarmActions).toEqual([{ Ref: topic }]);
    seed.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    seed.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    seed.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    // Per lane 2, ALB 2, database 4, absorber 1, and the low lane's function 2 (errors, throttles).
    seed.resourceCountIs('AWS::CloudWatch::Alarm', 3 * 2 + 2 + 4 + 1 + 2);
  });
});

describe('one place for thresholds: Prometheus rules and CloudWatch alarms move together', () => {
  const cases: Array<[string, (d: EksDefinition) => void, (d: EksDefinition) => [prometheus: string, cloudwatch: unknown]]> = [
    ['oldestEventSeconds.normal', (d) => (d.alerts.oldestEventSeconds.normal = 777), (d) => [rule(d, 'SpillwayOldestEventTooOld', 'normal').expr, alarmProps(alarmsOf(d), alarmName.oldestAge(d, 'normal')).Threshold]],
    ['deadLetters', (d) => (d.alerts.deadLetters = 3), (d) => [rule(d, 'SpillwayDeadLetters').expr, alarmProps(alarmsOf(d), alarmName.deadLetters(d, 'low')).Threshold]],
    ['serverErrorRatio', (d) => (d.alerts.serverErrorRatio = 0.05), (d) => [rule(d, 'SpillwayIngest5xx').expr, alarmProps(alarmsOf(d), alarmName.ingest5xx(d)).Threshold]],
    ['diskFreeRatio', (d) => (d.alerts.diskFreeRatio = 0.25), (d) => [rule(d, 'SpillwayDiskFilling').expr, alarmProps(alarmsOf(d), alarmName.database(d, 'free-storage')).Threshold]],
    ['forMinutes', (d) => (d.alerts.forMinutes = 9), (d) => [rule(d, 'SpillwayIngest5xx').for!, alarmProps(alarmsOf(d), alarmName.ingest5xx(d)).EvaluationPeriods]],
  ];

  it.each(cases)('%s: changed in a copy of the definition, both renderings change, to the same number', (_name, change, read) => {
    const changed = structuredClone(spillway);
    change(changed);
    const [promBefore, cwBefore] = read(spillway);
    const [promAfter, cwAfter] = read(changed);
    expect(promAfter).not.toEqual(promBefore);
    expect(cwAfter).not.toEqual(cwBefore);
    const expected = { oldestEventSeconds: 777, deadLetters: 3, serverErrorRatio: 0.05, diskFreeRatio: 0.25, forMinutes: 9 }[_name.split('.')[0] as 'deadLetters'];
    expect(promAfter).toContain(String(expected));
    expect(cwAfter).toBe(_name === 'diskFreeRatio' ? Math.round(0.25 * 100 * 1024 ** 3) : expected);
  });
});
