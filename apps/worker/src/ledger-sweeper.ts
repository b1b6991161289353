import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SPILLWAY_CONFIG, SpillwayConfig } from '@spillway/config';
import { SWEEP_BATCH, sweepLedgerBatch } from './ledger-sweep';


/**
 * Keeps `processed_events` to LEDGER_RETENTION_DAYS: every LEDGER_SWEEP_EVERY_MS (15 minutes; and
 * once shortly after start) each worker deletes older rows in batches of 5000 until none are left. Several workers
 * sweeping at once only share the work. A redelivered event whose row was swept is applied again,
 * so the retention must outlast any redelivery you still expect (see docs/delivery-worker.md).
 */
@Injectable()
export class LedgerSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(LedgerSweeper.name);
  private timers: NodeJS.Timeout[] = [];
  private running?: Promise<number>;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(SPILLWAY_CONFIG) private readonly config: SpillwayConfig,
  ) {}

  onApplicationBootstrap(): void {
    // The first sweep waits a little (jittered), so a fleet restarting at once does not sweep at once.
    const every = this.config.ledgerSweepEveryMs;
    const first = Math.min(every, 30_000);
    this.timers = [setTimeout(() => this.tick(), first + Math.random() * first), setInterval(() => this.tick(), every)];
    this.timers.forEach((t) => t.unref());
  }

  private tick(): void {
    this.running ??= this.sweep()
      .catch((err) => {
        this.logger.warn(`ledger sweep failed (next try in ${this.config.ledgerSweepEveryMs / 1000} s): ${(err as Error).message}`);
        return 0;
      })
      .finally(() => (this.running = undefined));
  }

  async onApplicationShutdown(): Promise<void> {
    this.timers.forEach((t) => clearTimeout(t));
    await this.running;
  }

  /** Deletes rows older than the retention; returns how many. */
  async sweep(): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await sweepLedgerBatch(this.dataSource, this.config.ledgerRetentionDays);
      total += deleted;
      if (deleted < SWEEP_BATCH) break;
    }
    if (total) this.logger.log(`ledger: deleted ${total} processed_events row(s) older than ${this.config.ledgerRetentionDays} day(s)`);
    return total;
  }
}
