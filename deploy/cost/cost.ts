// `npm run cost`: capacity and monthly cost of each target, from the definition, the bench's
// measured throughput and the dated price table (deploy/cost/prices.ts).
import { isLane, Lane } from '@spillway/config/lanes';
import { ROOT } from '../outputs';
import { spillway } from '../spillway';
import { readMeasured } from './measured';
import { costReport, planAt } from './plan';
import { itemsTable, podsText, renderCostMarkdown } from './report';
import { PRICES_AS_OF } from './prices';

const HELP = `Usage: npm run cost [-- --rps <n>] [--lambda <lane>[,<lane>]|none] [--json]

Pods, nodes and monthly cost of each target (Hetzner box, EKS) from deploy/spillway.ts, the bench's
measured throughput (bench/results/*.json) and the price table deploy/cost/prices.ts (${PRICES_AS_OF}).

  (no --rps)       the report: the seed's table recomputed, the break-even (the rate at which the
                   Hetzner box runs out), each target over a range of rates. \`npm run synth\` writes the
                   same report to docs/cost/cost.md and cost.svg.
  --rps <n>        capacity mode: each target at n requests per second, line by line
  --lambda <lanes> price these lanes' workers as AWS Lambda (per invocation and GB-second) instead of pods;
                   without it, the lanes the definition runs on Lambda (ServiceSpec.lambda, docs/lambda.md);
                   \`--lambda none\` prices every lane as pods, to compare
  --json           the numbers as JSON
  --help           this text
Exit codes: 0 ok, 2 bad arguments or missing bench results.`;

export interface CostArgs {
  rps?: number;
  /** Absent: the definition's Lambda lanes. */
  lambdaLanes?: Lane[];
  json: boolean;
}

export function parseCostArgs(argv: string[]): CostArgs | 'help' {
  const args: CostArgs = { json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value; see --help`);
      return v;
    };
    if (a === '--help' || a === '-h') return 'help';
    else if (a === '--json') args.json = true;
    else if (a === '--rps') {
      const v = value();
      const n = Number(v);
      if (!(Number.isFinite(n) && n >= 0)) throw new Error(`--rps: "${v}" is not a rate (a number >= 0)`);
      args.rps = n;
    } else if (a === '--lambda') {
      const v = value();
      args.lambdaLanes = [];
      if (v === 'none') continue;
      for (const lane of v.split(',')) {
        if (!isLane(lane)) throw new Error(`--lambda: unknown lane "${lane}" (lanes: critical, normal, low, or none)`);
        args.lambdaLanes.push(lane);
      }
    } else throw new Error(`unknown option ${a}; see --help`);
  }
  return args;
}

export function cost(argv: string[], log: (line: string) => void = console.log): number {
  let args: CostArgs | 'help';
  let measured;
  try {
    args = parseCostArgs(argv);
    if (args === 'help') {
      log(HELP);
      return 0;
    }
    measured = readMeasured(ROOT);
  } catch (err) {
    log(`cost: ${(err as Error).message}`);
    return 2;
  }
  if (args.rps === undefined) {
    const report = costReport(spillway, measured, args.lambdaLanes);
    log(args.json ? JSON.stringify(report, null, 2) : renderCostMarkdown(spillway, measured, report));
    return 0;
  }
  const plan = planAt(spillway, measured, args.rps, args.lambdaLanes);
  const box = costReport(spillway, measured).hetzner;
  if (args.json) {
    log(JSON.stringify({ ...plan, hetzner: box }, null, 2));
    return 0;
  }
  log(`At ${args.rps} rps:`);
  log(
    plan.hetznerUsd === undefined
      ? `  Hetzner ${box.box}: over capacity (holds ${box.capacityRps} rps, limited by the ${box.limitedBy}); EKS is needed`
      : `  Hetzner ${box.box}: fits (holds up to ${box.capacityRps} rps); EUR ${box.monthlyEur.toFixed(2)}/month ($${box.monthlyUsd.toFixed(2)})`,
  );
  log(`  EKS (${plan.eks.region}): ${podsText(plan.eks)}; ${plan.eks.nodes} nodes; $${plan.eks.monthlyUsd.toFixed(2)}/month`);
  for (const s of plan.eks.saturated) log(`  warning: ${s}`);
  log('');
  for (const line of itemsTable(plan.eks)) log(line);
  return 0;
}

if (require.main === module) process.exitCode = cost(process.argv.slice(2));
