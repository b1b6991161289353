// Queue names as the SQS driver builds them: `<prefix>-critical.fifo`, `<prefix>-normal`,
// `<prefix>-low`, and `-dlq` twins (`<prefix>-critical-dlq.fifo` for the FIFO one).
// The CDK queues stack and KEDA both take names from here, so a rename cannot reach only one of them.
import { Lane, LANES } from '../../libs/config/src/lanes';

/** Lanes that promise per-key ordering, hence SQS FIFO queues. */
export const FIFO_LANES: readonly Lane[] = ['critical'];

export function isFifo(lane: Lane): boolean {
  return FIFO_LANES.includes(lane);
}

export function queueName(prefix: string, lane: Lane, dlq = false): string {
  const base = `${prefix}-${lane}${dlq ? '-dlq' : ''}`;
  return isFifo(lane) ? `${base}.fifo` : base;
}

export function allLanes(): Lane[] {
  return [...LANES];
}
