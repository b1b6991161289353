import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Written by the reference handler: the event as received. */
@Entity({ name: 'events' })
export class StoredEvent {
  @PrimaryColumn('text')
  id: string;

  @Column('text')
  type: string;

  @Column('text')
  lane: string;

  @Column('text', { name: 'event_key', nullable: true })
  key: string | null;

  @Column('jsonb')
  data: Record<string, unknown>;

  @Column('timestamptz', { name: 'received_at' })
  receivedAt: Date;
}
