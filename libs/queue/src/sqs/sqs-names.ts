import type { Lane } from '../../../config/src';

/** The critical lane is FIFO (ordered per key); normal and low are Standard queues (throughput first). */
export function isFifoLane(lane: Lane): boolean {
  return lane === 'critical';
}

export function queueName(prefix: string, lane: Lane, dlq = false): string {
  return `${prefix}-${lane}${dlq ? '-dlq' : ''}${isFifoLane(lane) ? '.fifo' : ''}`;
}
