import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per (lane, key) whose event failed and is still to be retried: later events of that key
 * wait until the row goes (the event committed, or its delivery was dead-lettered).
 */
export class KeyFences1764489600000 implements MigrationInterface {
  name = 'KeyFences1764489600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE IF NOT EXISTS key_fences (
      lane text NOT NULL,
      event_key text NOT NULL,
      event_id text NOT NULL,
      failed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (lane, event_key)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS key_fences');
  }
}
