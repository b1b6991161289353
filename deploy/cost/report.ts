// docs/cost/cost.md: the cost report `npm run synth` renders (and `npm run cost` prints).
import { SpillwayDefinition } from '../model/definition';
import { composeDefinition, eksDefinition } from '../model/targets';
import { ASSUMPTIONS } from './assumptions';
import { eksPlan, EksPlan, endpointEconomics } from './eks-plan';
import { Measured } from './measured';
import { CostReport } from './plan';
import { PRICE_SOURCES, PRICES_AS_OF, USD_PER_EUR } from './prices';
import { renderSqsCallTable } from './sqs-calls';

export const COST_REPORT_PATHS = { markdown: 'docs/cost/cost.md', chart: 'docs/cost/cost.svg' } as const;

const usd = (v: number) => `$${Math.round(v).toLocaleString('en-US')}`;
const num = (v: number) => Math.round(v).toLocaleString('en-US');

export function podsText(p: EksPlan): string {
  return p.pods.map((s) => `${s.pods} ${s.service}${s.capped ? ' (capped at max)' : ''}`).join(', ');
}

export function itemsTable(p: EksPlan): string[] {
  return ['| item | USD / month |', '|---|---:|', ...p.items.map((i) => `| ${i.item} | ${i.monthly.toFixed(2)} |`), `| **total** | **${p.monthlyUsd.toFixed(2)}** |`];
}

export function ratesTable(r: CostReport): string[] {
  return [
    `| rps | Hetzner ${r.hetzner.box} | EKS pods | EKS nodes | EKS USD / month | note |`,
    '|---:|---:|---|---:|---:|---|',
    ...r.rates.map(
      (p) =>
        `| ${num(p.rps)} | ${p.hetznerUsd === undefined ? 'over capacity' : usd(p.hetznerUsd)} | ${podsText(p.eks)} | ${p.eks.nodes} | ${usd(p.eks.monthlyUsd)} | ${p.eks.saturated.join('; ')} |`,
    ),
  ];
}

export function renderCostMarkdown(all: SpillwayDefinition, m: Measured, r: CostReport): string {
  const def = eksDefinition(all);
  const box = composeDefinition(all).target.box;
  const h = r.hetzner;
  const seedWithout = r.seed.monthlyUsd - r.seed.items.filter((i) => /disks|storage/.test(i.item)).reduce((s, i) => s + i.monthly, 0);
  const lines = [
    '# Capacity and monthly cost (rendered)',
    '',
    'Rendered by `npm run synth` from `deploy/spillway.ts`, the bench results',
    `(${m.sources.map((s) => `\`${s}\``).join(', ')}) and the price table \`deploy/cost/prices.ts\``,
    `(list prices as of ${PRICES_AS_OF}, on demand, taxes excluded, 730 h/month, ${USD_PER_EUR} USD/EUR). Do not edit:`,
    '`npm run synth -- --check` fails when it is stale. How it is computed: [docs/load-and-cost.md](../load-and-cost.md).',
    '',
    '![monthly cost by rate](cost.svg)',
    '',
    '## The seed\'s table, recomputed',
    '',
    '| | the seed | this model |',
    '|---|---:|---:|',
    `| Hetzner: ${h.itemsEur.map((i) => i.item).join(' + ')} | ~EUR 12 | EUR ${h.monthlyEur.toFixed(2)} (EUR ${h.monthlyEurWithVat.toFixed(2)} with 19% VAT; ${usd(h.monthlyUsd)}) |`,
    `| AWS at minimum size, ${r.seed.region}: ${r.seed.items.map((i) => i.item).join(', ')} | ~$326 | ${usd(r.seed.monthlyUsd)} (${usd(seedWithout)} without node disks and RDS storage) |`,
    '',
    '## Break-even: where the box runs out',
    '',
    `The ${h.box} holds **${num(r.breakEvenRps)} rps** sustained, limited by the ${h.limitedBy}: each`,
    `limit is taken at ${Math.round(h.utilization * 100)}% (the EKS absorber's own scaling target). One absorber process`,
    `answered ${num(m.absorberProcessRps)} rps in the bench; the box's CPU, at ${h.cpuMsPerEvent.toFixed(3)} ms per event`,
    `(absorber ${m.absorberCpuMsPerRequest.bullmq.toFixed(3)} + Redis ${m.redisCpuMsPerRequest.toFixed(3)} + worker drain`,
    `${((m.machineCpus * 1000) / m.workerDrainEventsPerSecond).toFixed(3)}), would allow ${num((box.vcpus * 1000 * h.utilization) / h.cpuMsPerEvent)}.`,
    `Above it EKS is needed: at ${num(r.breakEvenRps)} rps it costs **${usd(r.atBreakEven.monthlyUsd)}/month** in ${r.atBreakEven.region}`,
    `(${podsText(r.atBreakEven)}; ${r.atBreakEven.nodes} nodes).`,
    '',
    `## Each target by sustained rate (${r.rates[0].eks.region})`,
    '',
    ...ratesTable(r),
    '',
  ];
  if (r.planned) {
    const verdicts = endpointEconomics(def, m, r.planned.rps);
    lines.push(
      `## EKS at the definition's staging rate, ${num(r.planned.rps)} rps`,
      '',
      `${podsText(r.planned.eks)}; ${r.planned.eks.nodes} nodes.`,
      '',
      ...itemsTable(r.planned.eks),
      '',
      `Interface endpoints at this rate (each in ${def.target.aws.availabilityZones.length} AZs, against the NAT gateway's per-GB fee; \`aws.network.vpcEndpoints\` turns them on,`,
      'and `deploy/cost/cost.spec.ts` holds it to exactly those that pay):',
      '',
      '| endpoint | GB / month | endpoint USD / month | NAT fee it saves | pays | in the definition |',
      '|---|---:|---:|---:|---|---|',
      ...verdicts.map((v) => `| ${v.endpoint} | ${num(v.gbPerMonth)} | ${v.costUsd.toFixed(2)} | ${v.savingUsd.toFixed(2)} | ${v.pays ? 'yes' : 'no'} | ${def.target.aws.network.vpcEndpoints.includes(v.endpoint) ? 'yes' : 'no'} |`),
      '',
    );
  }
  const onLambda = Object.keys(r.rates[0].eks.lambda);
  if (onLambda.length) {
    // The same rates with every lane on pods: where the definition's Lambda lanes pay off, and where not.
    lines.push(
      `## Lanes on Lambda (${onLambda.join(', ')}) against pods`,
      '',
      `| rps | Lambda lanes, USD / month | EKS total | every lane on pods | difference |`,
      '|---:|---:|---:|---:|---:|',
      ...r.rates.map((p) => {
        const pods = eksPlan(def, m, p.rps, { lambdaLanes: [] });
        const lambdaUsd = p.eks.items.filter((i) => /^Lambda|^RDS Proxy/.test(i.item)).reduce((s, i) => s + i.monthly, 0);
        const diff = p.eks.monthlyUsd - pods.monthlyUsd;
        return `| ${num(p.rps)} | ${usd(lambdaUsd)} | ${usd(p.eks.monthlyUsd)} | ${usd(pods.monthlyUsd)} | ${diff <= 0 ? '-' : '+'}${usd(Math.abs(diff))} |`;
      }),
      '',
      'Lambda replaces worker pods only where the lanes would need pods of their own; the nodes have a floor',
      '(`nodeGroup.min`), so at steady load the pods are usually cheaper. What Lambda buys is the burst: up to',
      '`maxConcurrency` batches in seconds and nothing running between spikes. Other lanes: `npm run cost -- --lambda <lanes>`.',
      '',
    );
  }
  lines.push(
    '## Assumptions',
    '',
    `- Absorber pods: rate x measured CPU per request / (CPU request x scaling target); worker pods: the lanes' share of the`,
    `  rate / (the bench's drain rate x pod CPU limit / the bench machine's ${m.machineCpus} cores). Clamped to autoscaling min..max.`,
    `- Nodes: pod requests plus per-node system pods (${ASSUMPTIONS.nodeSystem.cpuMillis}m, ${ASSUMPTIONS.nodeSystem.memoryMiB} MiB, ${ASSUMPTIONS.nodeSystem.pods} pods) and`,
    `  cluster add-ons (${ASSUMPTIONS.clusterAddons.cpuMillis}m, ${ASSUMPTIONS.clusterAddons.memoryMiB} MiB, ${ASSUMPTIONS.clusterAddons.pods} pods) against the instance's allocatable CPU, memory and pod count.`,
    `- ALB: ${ASSUMPTIONS.albBytesPerRequest} bytes per request (LCUs by processed bytes); SQS: ${m.sqsCallsPerEvent?.toFixed(3) ?? '0.25'} requests per event`,
    `  (measured), ${ASSUMPTIONS.sqsBytesPerEventEachWay} bytes per event each way through the NAT gateway (or the endpoints).`,
    '- SQS requests no event pays for, priced on their own line: busy (at their bound) whenever the rate is above 0, idle long',
    '  polls counted on top of the measured per-event receives (an overestimate); metrics scraped every',
    `  ${ASSUMPTIONS.eksScrapeSeconds} s by the cluster's Prometheus (an assumption). docs/sqs-driver.md says when each is made:`,
    '',
    renderSqsCallTable(def),
    '',
    `- CloudWatch: logs ${ASSUMPTIONS.logs.controlPlaneGb} GB/month from the control plane (five log types), ${ASSUMPTIONS.logs.flowLogsGb} GB of rejected-traffic flow logs,`,
    `  ${ASSUMPTIONS.logs.perPodGb} GB per pod (apps, add-ons, node agents; no line per request); Container Insights ${ASSUMPTIONS.containerInsights.seriesPerNode} series per node and`,
    `  ${ASSUMPTIONS.containerInsights.seriesPerPod} per pod, one observation a minute; one standard alarm each, one dashboard. Those GB cross the NAT gateway too`,
    '  unless the logs endpoint is on. Image layers and claim-check objects come through the S3 gateway endpoint (free):',
    `  ${ASSUMPTIONS.imagePulls.perNodePerMonth} images of ${ASSUMPTIONS.imagePulls.gb} GB per node a month. Public IPv4: the NAT gateway's address and the ALB's one per AZ.`,
    '- Not modelled: RDS write capacity (db.t3.medium is fixed; not measured at these rates), data transfer out, log storage,',
    '  free tiers, savings plans.',
    `- Lambda lanes (the definition's; \`npm run cost -- --lambda <lanes>|none\` to change): per invocation and GB-second, records per`,
    `  invocation = batchSize, or what arrives within the batching window when fewer; ${ASSUMPTIONS.lambda.invocationOverheadMs} ms per invocation plus the`,
    '  drain rate\'s time per record; their events leave the worker pods. RDS Proxy billed per vCPU of the primary.',
    '',
    `Prices from: ${PRICE_SOURCES.join('; ')}.`,
    '',
  );
  return lines.join('\n');
}
