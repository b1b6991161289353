import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Idempotency-Key records become reservations made before the broker write: a generation (event
 * ids derive from it, so a key reused after its window makes new events), whether every event of
 * the request was held, and when it was reserved. Rows from before keep generation NULL (their
 * ids were derived without one) and count as held.
 */
export class IdempotencyGenerations1764403200000 implements MigrationInterface {
  name = 'IdempotencyGenerations1764403200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE idempotency_keys
      ADD COLUMN IF NOT EXISTS generation bigint,
      ADD COLUMN IF NOT EXISTS held boolean NOT NULL DEFAULT true,
      ADD COLUMN IF NOT EXISTS reserved_at timestamptz NOT NULL DEFAULT now()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE idempotency_keys DROP COLUMN IF EXISTS generation, DROP COLUMN IF EXISTS held, DROP COLUMN IF EXISTS reserved_at');
  }
}
