// Loaded into a server under test with `node --require` (both the absorber and bare Fastify, alike):
// its event-loop delay (perf_hooks, 1 ms resolution) and its GC pauses, seen from inside the
// process. On SIGUSR2 it writes what it saw since the last signal to BENCH_ELD_FILE and starts over,
// so the bench brackets its measured window with two signals.
import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';

const file = process.env.BENCH_ELD_FILE;
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();
/** GC pauses by kind (perf_hooks.constants: minor = scavenge of the young generation, major = mark-sweep-compact). */
let gc: Record<string, { count: number; totalMs: number; maxMs: number }> = {};
const KINDS: Record<number, string> = { 1: 'minor', 2: 'minor-mark-sweep', 4: 'major', 8: 'incremental', 16: 'weakcb' };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = KINDS[(e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0] ?? 'other';
    const k = (gc[kind] ??= { count: 0, totalMs: 0, maxMs: 0 });
    k.count++;
    k.totalMs += e.duration;
    k.maxMs = Math.max(k.maxMs, e.duration);
  }
}).observe({ entryTypes: ['gc'] });

const ms = (ns: number) => Math.round(ns / 1e4) / 100;
process.on('SIGUSR2', () => {
  if (file) {
    const heap = process.memoryUsage();
    writeFileSync(
      file,
      JSON.stringify({
        eventLoopDelayMs: { p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), p999: ms(delay.percentile(99.9)), max: ms(delay.max), mean: ms(delay.mean) },
        gc,
        heapUsedMb: Math.round(heap.heapUsed / 1048576),
        heapTotalMb: Math.round(heap.heapTotal / 1048576),
      }),
    );
  }
  delay.reset();
  gc = {};
  // Marks the window's edges in the saved output (--logs), between --trace-gc lines.
  process.stdout.write(`[bench] window edge at ${Math.round(performance.now())} ms\n`);
});
