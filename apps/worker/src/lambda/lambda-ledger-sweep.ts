import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SPILLWAY_CONFIG, SpillwayConfig } from '@spillway/config';
import { SWEEP_BATCH, sweepLedgerBatch } from '../ledger-sweep';

/** Time an invocation keeps after its last sweep batch: one DELETE of SWEEP_BATCH rows, and the answer. */
const SWEEP_MARGIN_MS = 5000;

/**
 * The pod worker's ledger retention, for a lane served by Lambda: a container has no timers between
 * invocations, so after a batch it sweeps `processed_events` rows past LEDGER_RETENTION_DAYS, at
 * most once per LEDGER_SWEEP_EVERY_MS (its first invocation does), one batch at a time while the
 * invocation has more than SWEEP_MARGIN_MS left. Containers sweeping at once take different rows
 * (SKIP LOCKED). With no pod worker left on a target this is the only sweep there is.
 */
@Injectable()
export class LambdaLedgerSweep {
  private readonly logger = new Logger(LambdaLedgerSweep.name);
  private lastSweepAt = -Infinity;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(SPILLWAY_CONFIG) private readonly config: SpillwayConfig,
  ) {}

  /** Rows deleted; 0 when it was not yet due. A failure is logged, never thrown: the batch is done. */
  async afterBatch(timeLeft: () => number): Promise<number> {
    if (Date.now() - this.lastSweepAt < this.config.ledgerSweepEveryMs) return 0;
    this.lastSweepAt = Date.now();
    let total = 0;
    try {
      while (timeLeft() > SWEEP_MARGIN_MS) {
        const deleted = await sweepLedgerBatch(this.dataSource, this.config.ledgerRetentionDays);
        total += deleted;
        if (deleted < SWEEP_BATCH) break;
      }
    } catch (err) {
      this.logger.warn(`ledger sweep failed (next try in ${this.config.ledgerSweepEveryMs / 1000} s): ${(err as Error).message}`);
    }
    if (total) this.logger.log(`ledger: deleted ${total} processed_events row(s) older than ${this.config.ledgerRetentionDays} day(s)`);
    return total;
  }
}
