// Terraform is not installed here, so this checks the one thing a typo breaks silently in
// generated JSON: every `${aws_x.name.attr}`, `${data.x.name.attr}` and `${var.x}` must exist.
type Obj = Record<string, Record<string, Record<string, unknown>>>;

const REF = /\b(data\.[a-z0-9_]+\.[a-z0-9_]+|var\.[a-z0-9_]+|aws_[a-z0-9_]+\.[a-z0-9_]+)\b/g;

export function danglingReferences(tf: Record<string, unknown>): string[] {
  const resources = (tf.resource ?? {}) as Obj;
  const data = (tf.data ?? {}) as Obj;
  const variables = (tf.variable ?? {}) as Record<string, unknown>;
  const exists = (ref: string): boolean => {
    const [a, b, c] = ref.split('.');
    if (a === 'var') return b in variables;
    if (a === 'data') return Boolean(data[b]?.[c]);
    return Boolean(resources[a]?.[b]);
  };
  const problems = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const expr of v.match(/\$\{[^}]*\}/g) ?? []) {
        for (const ref of expr.match(REF) ?? []) if (!exists(ref)) problems.add(`unknown reference ${ref}`);
      }
    } else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(tf);
  return [...problems].sort();
}
