import { MigrationInterface, QueryRunner } from 'typeorm';

export class Init1764230400000 implements MigrationInterface {
  name = 'Init1764230400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE IF NOT EXISTS processed_events (
      id text PRIMARY KEY,
      type text NOT NULL,
      lane text NOT NULL,
      attempts int NOT NULL,
      processed_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE IF NOT EXISTS events (
      id text PRIMARY KEY,
      type text NOT NULL,
      lane text NOT NULL,
      event_key text,
      data jsonb NOT NULL,
      received_at timestamptz NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS events');
    await q.query('DROP TABLE IF EXISTS processed_events');
  }
}
