// Both targets side by side: at one rate (capacity mode), over a range of rates (the report), the
// seed's own line items, and the break-even: the rate at which the Hetzner box runs out.
import { Lane } from '@spillway/config/lanes';
import { SpillwayDefinition } from '../model/definition';
import { composeDefinition, eksDefinition } from '../model/targets';
import { eksPlan, EksPlan } from './eks-plan';
import { hetznerPlan, HetznerPlan } from './hetzner-plan';
import { Measured } from './measured';

/** Rates the report tabulates and plots (requests per second). */
export const REPORT_RATES = [100, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000];

export interface RatePlan {
  rps: number;
  /** The box's monthly cost while it holds the rate; undefined past its capacity. */
  hetznerUsd?: number;
  eks: EksPlan;
}

export interface CostReport {
  hetzner: HetznerPlan;
  /** The rate at which the Hetzner box runs out and EKS is needed. */
  breakEvenRps: number;
  /** EKS at that rate: what moving costs. */
  atBreakEven: EksPlan;
  /** The seed's line items at minimum size, in the seed's region (its table has no region: us-east-1 assumed). */
  seed: EksPlan;
  rates: RatePlan[];
  /** The definition's own staging rate (load.rps). */
  planned?: RatePlan;
}

/** lambdaLanes: the lanes priced as Lambda functions; absent, the definition's. */
/** The box and the EKS target that take public traffic (dns.records) are the pair compared. */
export function planAt(def: SpillwayDefinition, m: Measured, rps: number, lambdaLanes?: Lane[]): RatePlan {
  if (!(Number.isFinite(rps) && rps >= 0)) throw new Error(`cost: --rps must be a number >= 0, got ${rps}`);
  const box = hetznerPlan(composeDefinition(def), m);
  return { rps, hetznerUsd: rps <= box.capacityRps ? box.monthlyUsd : undefined, eks: eksPlan(eksDefinition(def), m, rps, { lambdaLanes }) };
}

export function costReport(def: SpillwayDefinition, m: Measured, lambdaLanes?: Lane[]): CostReport {
  const hetzner = hetznerPlan(composeDefinition(def), m);
  const eks = eksDefinition(def);
  const rates = REPORT_RATES.map((rps) => planAt(def, m, rps, lambdaLanes));
  return {
    hetzner,
    breakEvenRps: hetzner.capacityRps,
    atBreakEven: eksPlan(eks, m, hetzner.capacityRps, { lambdaLanes }),
    seed: eksPlan(eks, m, 0, { region: 'us-east-1', seedItemsOnly: true }),
    rates,
    planned: def.load ? planAt(def, m, def.load.rps, lambdaLanes) : undefined,
  };
}
