import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { QueuedEvent } from '../../../../libs/queue/src';
import { EventHandler, HandlesEvents } from './event-handler';

/** The reference handler: keeps every event it is given in `events`, one multi-row insert per delivery. */
@Injectable()
@HandlesEvents('*')
export class StoreEventHandler implements EventHandler {
  async handle(events: QueuedEvent[], tx: EntityManager): Promise<void> {
    await tx.query(
      `INSERT INTO events (id, type, lane, event_key, data, received_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::timestamptz[])`,
      [
        events.map((e) => e.id),
        events.map((e) => e.type),
        events.map((e) => e.lane),
        events.map((e) => e.key ?? null),
        events.map((e) => JSON.stringify(e.data)),
        events.map((e) => e.receivedAt),
      ],
    );
  }
}
