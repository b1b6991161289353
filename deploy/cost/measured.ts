// What the bench measured (bench/results/*.json, written by `npm run bench`), reduced to the few
// figures the capacity model needs. Read from the committed results, so a new bench run moves the
// cost report (synth --check then asks for a re-render) instead of numbers copied once.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Measured {
  /** The file each figure came from, for the report. */
  sources: string[];
  /** Cores of the bench machine (everything ran on it: generator, server, broker, worker, Postgres). */
  machineCpus: number;
  /** Absorber process CPU per request (ms), by queue driver. */
  absorberCpuMsPerRequest: { bullmq: number; sqs?: number };
  /** Redis CPU per request (ms) behind the BullMQ absorber. */
  redisCpuMsPerRequest: number;
  /** Requests/s one absorber process answered in the bench (its event loop's ceiling there). */
  absorberProcessRps: number;
  /** Events/s one worker process drained from a backlog into Postgres (whole machine busy). */
  workerDrainEventsPerSecond: number;
  /** SQS requests (send + receive + delete) per event, from the SQS bench. */
  sqsCallsPerEvent?: number;
}

interface HttpSummary {
  key: string;
  rps: number;
  cpuMsPer1k: { server: number; redis: number };
  sqs?: { corePerEvent: number; allPerEvent: number };
}

function readJson(root: string, path: string): unknown {
  const file = join(root, path);
  if (!existsSync(file)) throw new Error(`${path}: missing; run \`npm run bench\` (and \`-- --e2e\`) to measure it`);
  return JSON.parse(readFileSync(file, 'utf8'));
}

function absorberRow(root: string, path: string): { row: HttpSummary; cpus: number } {
  const json = readJson(root, path) as { machine: { cpus: number }; summary: HttpSummary[] };
  const row = json.summary?.find((s) => s.key === 'absorber');
  if (!row?.cpuMsPer1k || !(row.rps > 0)) throw new Error(`${path}: no absorber row with rps and cpuMsPer1k`);
  return { row, cpus: json.machine.cpus };
}

export function readMeasured(root: string): Measured {
  const httpBull = 'bench/results/http-bullmq.json';
  const httpSqs = 'bench/results/http-sqs.json';
  const e2e = 'bench/results/e2e-bullmq.json';
  const bull = absorberRow(root, httpBull);
  const drain = readJson(root, e2e) as { phaseB?: { eventsPerSecond: number } };
  if (!(drain.phaseB?.eventsPerSecond && drain.phaseB.eventsPerSecond > 0)) throw new Error(`${e2e}: no phaseB.eventsPerSecond`);
  const measured: Measured = {
    sources: [httpBull, e2e],
    machineCpus: bull.cpus,
    absorberCpuMsPerRequest: { bullmq: bull.row.cpuMsPer1k.server / 1000 },
    redisCpuMsPerRequest: bull.row.cpuMsPer1k.redis / 1000,
    absorberProcessRps: bull.row.rps,
    workerDrainEventsPerSecond: drain.phaseB.eventsPerSecond,
  };
  if (existsSync(join(root, httpSqs))) {
    const sqs = absorberRow(root, httpSqs);
    measured.sources.push(httpSqs);
    measured.absorberCpuMsPerRequest.sqs = sqs.row.cpuMsPer1k.server / 1000;
    if (sqs.row.sqs) measured.sqsCallsPerEvent = sqs.row.sqs.corePerEvent;
  }
  return measured;
}
