// Sequences are neither in a data-only COPY nor replicated: each is set on the target to at least
// the source's value and at least the largest value in the column it feeds, so the first insert
// after the switch cannot collide.
import { Client } from 'pg';
import { SequenceInfo } from './catalog';
import { ident, qualified } from './connect';

export interface SequenceSet {
  name: string;
  value: string;
}

export async function syncSequences(sequences: SequenceInfo[], target: Client): Promise<SequenceSet[]> {
  const set: SequenceSet[] = [];
  for (const s of sequences) {
    const seq = qualified(s.schema, s.name);
    let columnMax: string | null = null;
    if (s.ownedBy) {
      const { rows } = await target.query(`SELECT max(${ident(s.ownedBy.column)})::text AS m FROM ${qualified(s.ownedBy.schema, s.ownedBy.table)}`);
      columnMax = rows[0].m;
    }
    const candidates = [s.lastValue, columnMax].filter((v): v is string => v !== null).map(BigInt);
    if (!candidates.length) continue; // never used, empty column: the sequence starts where it was defined to
    const value = candidates.reduce((a, b) => (a > b ? a : b)).toString();
    await target.query(`SELECT setval($1::regclass, $2::bigint, true)`, [seq, value]);
    set.push({ name: `${s.schema}.${s.name}`, value });
  }
  return set;
}

/** Verify's check: every target sequence at least where the source's is. */
export function compareSequences(source: SequenceInfo[], target: SequenceInfo[]): string[] {
  const byName = new Map(target.map((s) => [`${s.schema}.${s.name}`, s]));
  const problems: string[] = [];
  for (const s of source) {
    const t = byName.get(`${s.schema}.${s.name}`);
    if (!t || s.lastValue === null) continue; // a missing one is reported with the structure
    if (t.lastValue === null || BigInt(t.lastValue) < BigInt(s.lastValue)) {
      problems.push(`sequence ${s.schema}.${s.name}: target at ${t.lastValue ?? 'never used'}, source at ${s.lastValue} (run db:move again or setval it)`);
    }
  }
  return problems;
}
