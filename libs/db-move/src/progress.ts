// Progress lines for long copies: per table rows, rows/s, MB/s and an ETA from the planner's estimate.
export interface TableProgress {
  label: string;
  estimatedRows: number;
  rows: number;
  bytes: number;
  startedAt: number;
}

const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);

export function describe(p: TableProgress, now = Date.now()): string {
  const s = Math.max((now - p.startedAt) / 1000, 0.001);
  const rate = p.rows / s;
  const parts = [`${p.label}: ${p.rows} rows`];
  if (p.estimatedRows > 0) parts[0] += ` of ~${Math.round(p.estimatedRows)} (${Math.min(100, Math.round((100 * p.rows) / p.estimatedRows))}%)`;
  parts.push(`${Math.round(rate)} rows/s`, `${mb(p.bytes / s)} MB/s`);
  if (p.estimatedRows > p.rows && rate > 0) parts.push(`ETA ${Math.ceil((p.estimatedRows - p.rows) / rate)} s`);
  return parts.join(', ');
}

export function summary(rows: number, bytes: number, ms: number): string {
  const s = Math.max(ms / 1000, 0.001);
  return `${rows} rows, ${mb(bytes)} MB in ${s.toFixed(1)} s (${Math.round(rows / s)} rows/s, ${mb(bytes / s)} MB/s)`;
}
