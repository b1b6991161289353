// The Hetzner target at a given rate: one box, so a fixed price until the box runs out. Two limits,
// both from the bench: the box's CPU (absorber + Redis + worker drain per event) and the absorber
// process itself (one Node event loop per replica; the bench's rps is that ceiling), each at the
// same utilization the EKS absorber scales at, so both targets keep the same headroom.
import { ComposeDefinition, SharedDefinition } from '../model/definition';
import { Measured } from './measured';
import { HETZNER_PRICES, HetznerPrices, USD_PER_EUR } from './prices';

export interface CostItem {
  item: string;
  monthly: number;
}

export interface HetznerPlan {
  box: string;
  capacityRps: number;
  limitedBy: 'box CPU' | 'absorber process';
  /** Box CPU (ms) one event costs: absorber + Redis + its share of the worker's drain. */
  cpuMsPerEvent: number;
  utilization: number;
  itemsEur: CostItem[];
  monthlyEur: number;
  monthlyEurWithVat: number;
  monthlyUsd: number;
}

export function targetUtilization(def: SharedDefinition): number {
  const a = def.services.find((s) => s.role === 'absorber')!.autoscaling;
  return 'cpuPercent' in a ? a.cpuPercent / 100 : 0.7;
}

export function hetznerPlan(def: ComposeDefinition, m: Measured, prices: HetznerPrices = HETZNER_PRICES): HetznerPlan {
  const box = def.target.box;
  const server = prices.servers[box.type];
  if (!server) throw new Error(`cost: no Hetzner price for box type "${box.type}" in deploy/cost/prices.ts`);
  const u = targetUtilization(def);
  const drainCpuMs = (m.machineCpus * 1000) / m.workerDrainEventsPerSecond;
  const cpuMsPerEvent = m.absorberCpuMsPerRequest.bullmq + m.redisCpuMsPerRequest + drainCpuMs;
  const boxRps = (box.vcpus * 1000 * u) / cpuMsPerEvent;
  const replicas = def.target.services[def.services.find((s) => s.role === 'absorber')!.name].replicas;
  const processRps = replicas * m.absorberProcessRps * u;
  const itemsEur: CostItem[] = [
    { item: `${box.type} (${box.vcpus} vCPU, ${box.memoryMiB / 1024} GiB)`, monthly: server.monthlyEur },
    { item: 'primary IPv4', monthly: prices.primaryIpv4MonthlyEur },
  ];
  if (def.target.backup.s3.endpoint.includes('your-objectstorage.com')) {
    itemsEur.push({ item: 'Object Storage (database dumps)', monthly: prices.objectStorageMonthlyEur });
  }
  const monthlyEur = itemsEur.reduce((s, i) => s + i.monthly, 0);
  return {
    box: box.type,
    capacityRps: Math.floor(Math.min(boxRps, processRps)),
    limitedBy: boxRps < processRps ? 'box CPU' : 'absorber process',
    cpuMsPerEvent,
    utilization: u,
    itemsEur,
    monthlyEur,
    monthlyEurWithVat: monthlyEur * (1 + prices.vat),
    monthlyUsd: monthlyEur * USD_PER_EUR,
  };
}
