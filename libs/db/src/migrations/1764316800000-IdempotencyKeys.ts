import { MigrationInterface, QueryRunner } from 'typeorm';

/** Idempotency-Key records for deployments without Redis (QUEUE_DRIVER=sqs); rows expire after 24 h. */
export class IdempotencyKeys1764316800000 implements MigrationInterface {
  name = 'IdempotencyKeys1764316800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE IF NOT EXISTS idempotency_keys (
      scope text NOT NULL,
      key text NOT NULL,
      event_id text NOT NULL,
      lane text NOT NULL,
      expires_at timestamptz NOT NULL,
      PRIMARY KEY (scope, key)
    )`);
    await q.query('CREATE INDEX IF NOT EXISTS idempotency_keys_expires_at ON idempotency_keys (expires_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS idempotency_keys');
  }
}
