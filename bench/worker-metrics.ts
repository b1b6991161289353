/**
 * What workers say they applied, from their /metrics: `spillway_events_processed_total` counts one
 * per event a claim took and its handler ran, with no unique key behind it, so a redelivery that
 * claimed again would count twice (the rows of `processed_events` and `events` cannot: their id
 * is a primary key). `spillway_deliveries_failed_total` counts deliveries whose handler threw:
 * with the reference handler, an event applied a second time fails on the `events` key there.
 */
export interface WorkerCounters {
  processed: number;
  failedDeliveries: number;
}

function sum(text: string, metric: string): number {
  const pattern = new RegExp(`^${metric}(?:\\{[^}]*\\})? (\\S+)$`, 'gm');
  return [...text.matchAll(pattern)].reduce((n, m) => n + Number(m[1]), 0);
}

export async function workerCounters(ports: number[]): Promise<WorkerCounters> {
  const totals: WorkerCounters = { processed: 0, failedDeliveries: 0 };
  for (const port of ports) {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    if (!res.ok) throw new Error(`worker on :${port} answered /metrics with ${res.status}`);
    const text = await res.text();
    totals.processed += sum(text, 'spillway_events_processed_total');
    totals.failedDeliveries += sum(text, 'spillway_deliveries_failed_total');
  }
  return totals;
}
