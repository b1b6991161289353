/**
 * Postgres cannot store every string JSON can carry: `text` and `jsonb` hold no NUL (\u0000), and
 * jsonb refuses an unpaired UTF-16 surrogate (JSON.stringify writes one as "\udc00", which
 * Postgres rejects). An event holding either would be acknowledged and then fail in the worker
 * on every attempt, so ingest refuses it and names where it is.
 */
export function unstorable(s: string): string | undefined {
  if (s.includes('\u0000')) return 'holds NUL (\\u0000), which Postgres cannot store';
  if (!(s as string & { isWellFormed(): boolean }).isWellFormed()) return 'holds an unpaired UTF-16 surrogate, which Postgres cannot store';
  return undefined;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function segment(key: string): string {
  return IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** Where below the value a problem is (a path suffix), and the problem. */
interface Found {
  at: string;
  problem: string;
}

/**
 * Paths are built only on the way back out of a problem: every accepted event is walked, and
 * building a path text per key and element on the way down was 3.6% of the absorber's allocation
 * at 2,000 events/s (docs/benchmark.md), all of it garbage for an event that is fine.
 */
function find(value: unknown): Found | undefined {
  if (typeof value === 'string') {
    const problem = unstorable(value);
    return problem ? { at: '', problem } : undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = find(value[i]);
      if (found) return { at: `[${i}]${found.at}`, problem: found.problem };
    }
    return undefined;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const problem = unstorable(key);
    // A bad key cannot be printed faithfully; its escaped form names it.
    if (problem) return { at: '', problem: `an object key (${JSON.stringify(key)}) ${problem}` };
    const found = find(record[key]);
    if (found) return { at: `${segment(key)}${found.at}`, problem: found.problem };
  }
  return undefined;
}

/**
 * The first string (value or object key) at any depth of `value` that Postgres could not store,
 * as `path: problem`, or undefined. Recursion depth is bounded by the caller's depth check.
 */
export function firstUnstorable(value: unknown, path: string): string | undefined {
  const found = find(value);
  return found && `${path}${found.at}: ${found.problem}`;
}
