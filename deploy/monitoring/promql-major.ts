// The PromQL constructs whose meaning changed between Prometheus 2.x (Debian 12's 2.42: the
// compose e2e's stand-in Prometheus) and 3.x (the image the box runs), so that an alert the e2e
// sees fire means the same on the box. (3.x-only syntax, such as a UTF-8 quoted name `{"a.b"}`, needs no check here: the
// specs run Debian 12's promtool too, which refuses it.) From Prometheus 3.0's migration notes:
// - a regex `.` matches a newline too: refused on labels whose values may hold one;
// - `holt_winters` is renamed `double_exponential_smoothing`, behind a feature flag: both refused;
// - range selectors and subqueries are left-open (the sample exactly at the start is dropped): a
//   range under 4 scrape intervals may hold one sample fewer, or one where rate() needs two;
// - classic histogram `le` and summary `quantile` values are normalised as floats (`"1"` is now
//   `"1.0"`): an equality matcher on either is refused.

/** Labels whose values never hold a newline (HTTP status codes): a `.` in their regexes means the same. */
export const SINGLE_LINE_LABELS = ['status'] as const;

const SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };

/** Seconds of a PromQL duration such as `5m` or `1h30m`; undefined for anything else (`$__rate_interval`). */
export function durationSeconds(text: string): number | undefined {
  const parts = [...text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== text) return undefined;
  return parts.reduce((sum, p) => sum + Number(p[1]) * SECONDS[p[2]], 0);
}

/** Why `expr` could mean something else on Prometheus 3.x than on 2.x; empty when nothing. */
export function majorVersionProblems(expr: string, scrapeSeconds: number): string[] {
  const problems: string[] = [];
  for (const m of expr.matchAll(/\b(holt_winters|double_exponential_smoothing)\s*\(/g)) {
    problems.push(`${m[1]}(): holt_winters is renamed double_exponential_smoothing in 3.x, behind --enable-feature=promql-experimental-functions`);
  }
  for (const m of expr.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~)\s*"((?:\\.|[^"\\])*)"/g)) {
    const [, label, op, source] = m;
    // The regex as Prometheus reads it (`\\` in the string is one backslash), classes dropped: a
    // `.` inside [...] is a literal dot. A bare `.` follows an even number of backslashes.
    const regex = source.replace(/\\(["\\])/g, '$1').replace(/\[(?:\\.|[^\]\\])*\]/g, '');
    if (/(^|[^\\])(\\\\)*\./.test(regex) && !(SINGLE_LINE_LABELS as readonly string[]).includes(label)) {
      problems.push(`${label}${op}"${source}": a regex . matches a newline in 3.x and not in 2.x (only ${SINGLE_LINE_LABELS.join(', ')} are known single-line)`);
    }
  }
  for (const m of expr.matchAll(/\b(le|quantile)\s*(=|!=)\s*"/g)) {
    problems.push(`${m[1]}${m[2]}"...": 3.x normalises ${m[1]} values as floats ("1" becomes "1.0"); use a regex or no matcher`);
  }
  for (const m of expr.matchAll(/\[([^\]:]+)(?::[^\]]*)?\]/g)) {
    const seconds = durationSeconds(m[1].trim());
    if (seconds !== undefined && seconds < 4 * scrapeSeconds) {
      problems.push(`[${m[1]}]: under 4 scrape intervals (${4 * scrapeSeconds}s); 3.x ranges are left-open and may hold one sample fewer than 2.x's`);
    }
  }
  return problems;
}
