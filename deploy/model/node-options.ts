// The absorber's V8 flags, rendered into its env (NODE_OPTIONS) by both renderers; `npm run bench`
// reads them back from docker-compose.yml, so the benchmark runs the absorber as it is deployed.

/** The young generation's semi-space, MB (V8's --max-semi-space-size). */
export const ABSORBER_SEMI_SPACE_MB = 16;

/**
 * `--max-semi-space-size=16`: left alone, Node 24 sizes the young generation from the host's
 * memory, not the container's: 64 MB semi-spaces on the 24 GB bench box (no pointer compression
 * doubles V8's 32), so a heap of ~230 MB held ~46 MB live and RSS peaked at 336 MB at 2,000
 * events/s; with 16 MB semi-spaces 248 MB in the same run, and 221 against 277-298 MB at
 * saturation with no measurable loss of throughput (docs/benchmark.md, "Where the fixed-rate tail
 * comes from"). It is the same on any host, so it is not sized from the container's limit.
 *
 * No `--max-old-space-size`: any cap under 2 GB lowers V8's heap growing factor, and at half the
 * absorber's limit (320 or 384 MB) V8 ran 18 mark-compacts in a 20 s window instead of 2, keeping
 * a ~70 MB heap (RSS 161-167 MB) at the price of ~0.6 s more GC pause; the live set after a full
 * GC is ~25-36 MB, far from any pod limit, so the semi-space alone keeps RSS under the goal.
 */
export function absorberNodeOptions(): string {
  return `--max-semi-space-size=${ABSORBER_SEMI_SPACE_MB}`;
}
