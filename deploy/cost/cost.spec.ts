import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpillwayDefinition } from '../model/definition';
import { spillway } from '../spillway';
import { ROOT } from '../outputs';
import { cost, parseCostArgs } from './cost';
import { eksPlan } from './eks-plan';
import { hetznerPlan } from './hetzner-plan';
import { lambdaLaneCost } from './lambda';
import { Measured, readMeasured } from './measured';
import { costReport, planAt } from './plan';
import { AWS_PRICES } from './prices';
import { Template } from 'aws-cdk-lib/assertions';
import { buildAwsApp } from '../aws/app';
import { alarmCount, endpointEconomics, publicIpv4Count } from './eks-plan';
import { composeDefinition, eksDefinition, targetOf } from '../model/targets';

// Fixed figures, close to the committed bench, so the expected numbers below are hand-computable.
const m: Measured = {
  sources: [],
  machineCpus: 2,
  absorberCpuMsPerRequest: { bullmq: 0.35, sqs: 0.33 },
  redisCpuMsPerRequest: 0.05,
  absorberProcessRps: 3000,
  workerDrainEventsPerSecond: 34_000,
  sqsCallsPerEvent: 0.25,
};

describe('cost model', () => {
  it("sizes the seed's 10K rps inside the seed's ranges: 5-50 absorber pods, 3-10 t3.medium nodes", () => {
    // Every lane on pods, as the seed had it (the definition runs `low` on Lambda: see below).
    const plan = eksPlan(eksDefinition(spillway), m, 10_000, { lambdaLanes: [] });
    // 10 000 rps x 0.33 ms / (200m x 70%) = 23.6 -> 24; 10 000 / (34 000 x 500m / 2 cores) = 1.2 -> 2.
    expect(plan.pods).toEqual([
      { service: 'absorber', pods: 24, capped: false },
      { service: 'worker', pods: 2, capped: false },
    ]);
    // Requests: 700m add-ons + 26 x 200m = 5900m over 1930m - 150m per node -> 4 nodes.
    expect(plan.nodes).toBe(4);
    expect(plan.saturated).toEqual([]);
    const atMinimum = eksPlan(eksDefinition(spillway), m, 0, { lambdaLanes: [] });
    expect(atMinimum.pods.map((p) => p.pods)).toEqual([5, 1]);
    expect(atMinimum.nodes).toBe(3);
  });

  it("recomputes the seed's table: ~EUR 12 for the box (with VAT) and ~$326 for AWS at minimum size", () => {
    const box = hetznerPlan(composeDefinition(spillway), m);
    expect(box.monthlyEur).toBeCloseTo(3.79 + 0.5 + 4.99, 2);
    expect(Math.abs(box.monthlyEurWithVat - 12) / 12).toBeLessThan(0.1);
    const seed = costReport(spillway, m).seed;
    expect(seed.region).toBe('us-east-1');
    // 73 + 3 x 30.37 + 3 x 40 x 0.08 + 32.85 + (0.0225 + 0.008) x 730 + 0.072 x 2 x 730 + 100 x 0.115 x 2
    expect(seed.monthlyUsd).toBeCloseTo(73 + 91.104 + 9.6 + 32.85 + 22.265 + 105.12 + 23, 2);
    expect(Math.abs(seed.monthlyUsd - 326) / 326).toBeLessThan(0.1);
  });

  it('never gets cheaper or smaller as the rate grows', () => {
    let last = eksPlan(eksDefinition(spillway), m, 0);
    for (let rps = 250; rps <= 60_000; rps += 250) {
      const next = eksPlan(eksDefinition(spillway), m, rps);
      expect(next.monthlyUsd).toBeGreaterThanOrEqual(last.monthlyUsd);
      expect(next.nodes).toBeGreaterThanOrEqual(last.nodes);
      next.pods.forEach((p, i) => expect(p.pods).toBeGreaterThanOrEqual(last.pods[i].pods));
      last = next;
    }
    expect(last.saturated.join()).toMatch(/absorber wants more than autoscaling.max/);
  });

  it('breaks even where the box runs out: the lower of its CPU and its one absorber process, at 70%', () => {
    const box = hetznerPlan(composeDefinition(spillway), m);
    // One process: 3000 rps x 0.7 = 2100. The box: 2000 ms x 0.7 / (0.35 + 0.05 + 2000/34000) = 3051.
    expect(box).toMatchObject({ capacityRps: 2100, limitedBy: 'absorber process' });
    const report = costReport(spillway, m);
    expect(report.breakEvenRps).toBe(2100);
    expect(planAt(spillway, m, 2100).hetznerUsd).toBeCloseTo(box.monthlyUsd, 6);
    expect(planAt(spillway, m, 2101).hetznerUsd).toBeUndefined();
    const twoAbsorbers: SpillwayDefinition = structuredClone(spillway);
    targetOf(twoAbsorbers, 'hetzner', 'compose').services.absorber.replicas = 2;
    expect(hetznerPlan(composeDefinition(twoAbsorbers), m)).toMatchObject({ capacityRps: 3051, limitedBy: 'box CPU' });
  });

  it('prices a Lambda lane per invocation and GB-second, and takes its events off the worker pods', () => {
    const lane = { eventsPerSecond: 100, batchSize: 10, memoryMiB: 512, invocationOverheadMs: 20, msPerEvent: 0.06 };
    const c = lambdaLaneCost(AWS_PRICES['us-east-1'], lane);
    expect(c.invocationsPerMonth).toBeCloseTo(26_280_000, 0);
    expect(c.requestsUsd).toBeCloseTo(5.256, 3);
    // 20.6 ms billed as 21 ms, 0.5 GB.
    expect(c.gbSecondsPerMonth).toBeCloseTo(26_280_000 * 0.021 * 0.5, 0);
    expect(c.durationUsd).toBeCloseTo(275_940 * 0.0000166667, 3);
    const allLambda = eksPlan(eksDefinition(spillway), m, 10_000, { lambdaLanes: ['critical', 'normal', 'low'] });
    expect(allLambda.pods.find((p) => p.service === 'worker')!.pods).toBe(0);
    expect(Object.keys(allLambda.lambda).sort()).toEqual(['critical', 'low', 'normal']);
    expect(allLambda.items.filter((i) => i.item.startsWith('Lambda')).length).toBe(3);
  });

  it("prices the definition's Lambda lanes by default: its memory, batch, window and arm64; the RDS Proxy beside them", () => {
    const plan = eksPlan(eksDefinition(spillway), m, 10_000);
    expect(Object.keys(plan.lambda)).toEqual(['low']);
    // The pods drain critical and normal only: 8 000 / (34 000 x 500m / 2 cores) = 0.94 -> 1.
    expect(plan.pods.find((p) => p.service === 'worker')!.pods).toBe(1);
    // low: 20% of 10 000 = 2 000 events/s, 25 per invocation (the 1 s window fills them), 20 + 25 x 0.0588 ms -> 22 ms at 0.5 GB.
    const low = plan.lambda.low!;
    expect(low.invocationsPerMonth).toBeCloseTo((2000 * 2_628_000) / 25, 0);
    expect(low.gbSecondsPerMonth).toBeCloseTo(210_240_000 * 0.022 * 0.5, 0);
    expect(low.durationUsd).toBeCloseTo(low.gbSecondsPerMonth * AWS_PRICES['eu-central-1'].lambdaArmPerGbSecond, 6);
    expect(plan.items.find((i) => i.item.startsWith('RDS Proxy'))).toEqual({ item: 'RDS Proxy for the Lambda lanes, 2 vCPU', monthly: 2 * 0.015 * 730 });
    // At 10 rps the 1 s window holds 2 events of low: 2 per invocation, not 25.
    expect(eksPlan(eksDefinition(spillway), m, 10).lambda.low!.invocationsPerMonth).toBeCloseTo(2_628_000, 0);
    // --lambda none: every lane on pods, no Lambda line, no proxy.
    const pods = eksPlan(eksDefinition(spillway), m, 10_000, { lambdaLanes: [] });
    expect(pods.lambda).toEqual({});
    expect(pods.items.some((i) => /Lambda|RDS Proxy/.test(i.item))).toBe(false);
    expect(parseCostArgs(['--lambda', 'none'])).toEqual({ lambdaLanes: [], json: false });
    expect(parseCostArgs([])).toEqual({ json: false });
  });

  it('reads the committed bench results, and names what is missing', () => {
    const real = readMeasured(ROOT);
    expect(real.absorberCpuMsPerRequest.bullmq).toBeGreaterThan(0);
    expect(real.workerDrainEventsPerSecond).toBeGreaterThan(0);
    expect(() => readMeasured(mkdtempSync(join(tmpdir(), 'cost-')))).toThrow(/bench\/results\/http-bullmq.json: missing; run `npm run bench`/);
  });

  it('refuses bad arguments with the reason', () => {
    expect(() => parseCostArgs(['--rps', 'lots'])).toThrow('--rps: "lots" is not a rate');
    expect(() => parseCostArgs(['--lambda', 'urgent'])).toThrow('--lambda: unknown lane "urgent"');
    expect(() => parseCostArgs(['--rps'])).toThrow('--rps needs a value');
    expect(() => parseCostArgs(['--fast'])).toThrow('unknown option --fast');
    expect(parseCostArgs(['--rps', '500', '--lambda', 'low,normal'])).toEqual({ rps: 500, lambdaLanes: ['low', 'normal'], json: false });
  });
});

describe('what the stacks really bill (#32 item 8)', () => {
  const eu = AWS_PRICES['eu-central-1'];
  const floor = eksPlan(eksDefinition(spillway), m, 0);
  const item = (p: { items: Array<{ item: string; monthly: number }> }, re: RegExp) => p.items.filter((i) => re.test(i.item));

  it('the floor names RDS Proxy, public IPv4, CloudWatch logs, metrics and alarms, at their prices', () => {
    expect(item(floor, /^RDS Proxy/)).toHaveLength(1);
    // The NAT gateway's address and the ALB's one per AZ; nodes and pods sit in private subnets.
    expect(publicIpv4Count(eksDefinition(spillway))).toBe(1 + 3);
    expect(item(floor, /public IPv4/)).toEqual([{ item: 'public IPv4, 4 addresses', monthly: 4 * 0.005 * 730 }]);
    expect(item(floor, /^CloudWatch logs/)[0].monthly).toBeGreaterThan(10);
    expect(item(floor, /^CloudWatch metrics/)[0].monthly).toBeGreaterThan(0);
    expect(item(floor, /^CloudWatch alarms/)).toEqual([{ item: `CloudWatch alarms (${alarmCount(eksDefinition(spillway))}) and dashboard`, monthly: alarmCount(eksDefinition(spillway)) * eu.alarmMonthly + eu.dashboardMonthly }]);
    // No flat guess for CloudWatch any more.
    expect(item(floor, /Container Insights$/)).toEqual([]);
  });

  it("alarmCount is the alarms stack's number of alarms", () => {
    const alarms = buildAwsApp(eksDefinition(spillway)).stacks.find((s) => s.stackName === 'spillway-alarms')!;
    expect(Object.keys(Template.fromStack(alarms).findResources('AWS::CloudWatch::Alarm'))).toHaveLength(alarmCount(eksDefinition(spillway)));
  });

  it('NAT per GB for SQS and CloudWatch traffic; S3 and ECR layers through the free S3 gateway endpoint', () => {
    const def = structuredClone(spillway);
    targetOf(def, 'eks', 'eks').aws.network.vpcEndpoints = [];
    const p = eksPlan(eksDefinition(def), m, 10_000);
    const nat = item(p, /^NAT data/);
    expect(nat).toHaveLength(1);
    expect(nat[0].item).toMatch(/SQS \d+ GB, CloudWatch \d+ GB/);
    expect(item(p, /S3 gateway endpoint/)[0]).toMatchObject({ monthly: 0 });
    // With the SQS endpoint the SQS gigabytes leave the NAT line for the endpoint's own.
    targetOf(def, 'eks', 'eks').aws.network.vpcEndpoints = ['sqs'];
    const withSqs = eksPlan(eksDefinition(def), m, 10_000);
    expect(item(withSqs, /^NAT data/)[0].item).not.toMatch(/SQS/);
    expect(item(withSqs, /^interface endpoint sqs/)).toHaveLength(1);
    expect(withSqs.monthlyUsd).toBeLessThan(p.monthlyUsd);
  });

  it("the definition turns on exactly the interface endpoints that pay for themselves at its load rate", () => {
    const verdicts = endpointEconomics(eksDefinition(spillway), m, spillway.load!.rps);
    expect(verdicts.map((v) => v.endpoint).sort()).toEqual(['ecr', 'logs', 'secretsmanager', 'sqs', 'sts']);
    for (const v of verdicts) expect(v.pays).toBe(v.savingUsd > v.costUsd);
    expect(verdicts.filter((v) => v.pays).map((v) => v.endpoint).sort()).toEqual([...targetOf(spillway, 'eks', 'eks').aws.network.vpcEndpoints].sort());
  });

  it('the budget sits above the floor, so its forecast alert does not fire in month one', () => {
    expect(targetOf(spillway, 'eks', 'eks').aws.budget.monthlyUsd).toBeGreaterThanOrEqual(floor.monthlyUsd);
    // docs/aws.md's table adds up to the same floor.
    const total = /\*\*total\*\* \| \*\*~(\d+)\*\*/.exec(readFileSync(join(ROOT, 'docs/aws.md'), 'utf8'))?.[1];
    expect(Math.abs(Number(total) - floor.monthlyUsd)).toBeLessThan(5);
  });
});

describe('npm run cost', () => {
  it('prints the report synth commits, and each target at a rate in capacity mode', () => {
    const lines: string[] = [];
    expect(cost([], (l) => lines.push(l))).toBe(0);
    expect(lines.join('\n')).toBe(readFileSync(join(ROOT, 'docs/cost/cost.md'), 'utf8'));
    const at: string[] = [];
    // Far over what one box holds in any bench run so far (14,349 rps on the fastest, quiet machine),
    // so the case holds whatever bench/results the report was rendered from; which limit binds (the
    // absorber process or the box's CPU) depends on those results.
    expect(cost(['--rps', '30000'], (l) => at.push(l))).toBe(0);
    expect(at.join('\n')).toMatch(/Hetzner CX22: over capacity \(holds \d+ rps, limited by the (absorber process|box CPU)\); EKS is needed/);
    const bad: string[] = [];
    expect(cost(['--rps', '-1'], (l) => bad.push(l))).toBe(2);
    expect(bad).toEqual(['cost: --rps: "-1" is not a rate (a number >= 0)']);
  });
});
