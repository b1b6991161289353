import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The ledger: one row per event whose handler committed. Its primary key is what makes effects happen once. */
@Entity({ name: 'processed_events' })
export class ProcessedEvent {
  @PrimaryColumn('text')
  id: string;

  @Column('text')
  type: string;

  @Column('text')
  lane: string;

  @Column('int')
  attempts: number;

  @Column('timestamptz', { name: 'processed_at', default: () => 'now()' })
  processedAt: Date;
}
