import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who put each event in (`source:<name>` for a verified webhook, `tenant:<id>` for an API key),
 * beside the ledger row and the reference handler's stored event. Null for rows from before.
 */
export class EventOrigins1764662400000 implements MigrationInterface {
  name = 'EventOrigins1764662400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE processed_events ADD COLUMN IF NOT EXISTS origin text');
    await q.query('ALTER TABLE events ADD COLUMN IF NOT EXISTS origin text');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE events DROP COLUMN IF EXISTS origin');
    await q.query('ALTER TABLE processed_events DROP COLUMN IF EXISTS origin');
  }
}
