import { MigrationInterface, QueryRunner } from 'typeorm';

/** The worker deletes processed_events rows older than LEDGER_RETENTION_DAYS by this index. */
export class LedgerRetention1764576000000 implements MigrationInterface {
  name = 'LedgerRetention1764576000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE INDEX IF NOT EXISTS processed_events_processed_at ON processed_events (processed_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX IF EXISTS processed_events_processed_at');
  }
}
