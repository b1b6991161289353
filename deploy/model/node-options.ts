// The absorber's V8 heap, sized from its container's memory limit and rendered into its env
// (NODE_OPTIONS) by both renderers; `npm run bench` reads it back from docker-compose.yml, so the
// benchmark runs the absorber with the flags it is deployed with.

/** The young generation's semi-space, MB (V8's --max-semi-space-size). */
export const ABSORBER_SEMI_SPACE_MB = 16;

/** The old generation's cap as a share of the container's memory limit. */
export const OLD_SPACE_SHARE = 0.5;

/**
 * `--max-semi-space-size=16`: left alone, Node 24 sizes the young generation from the host's
 * memory, not the container's (measured on the 24 GB bench box: heap 236 MB for 46 MB live, RSS
 * 336 MB at 2,000 events/s); 16 MB semi-spaces measured 248 MB in the same run (docs/benchmark.md,
 * "Where the fixed-rate tail comes from").
 * `--max-old-space-size` at half the limit: V8 collects well before the OOM killer would act,
 * leaving the other half for the young generation, code, buffers and sockets.
 */
export function absorberNodeOptions(memoryLimitMiB: number): string {
  return `--max-semi-space-size=${ABSORBER_SEMI_SPACE_MB} --max-old-space-size=${Math.floor(memoryLimitMiB * OLD_SPACE_SHARE)}`;
}
