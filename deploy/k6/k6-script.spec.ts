import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spillway } from '../spillway';
import { ROOT } from '../outputs';
import { eventTypeFor, K6_SCRIPT_PATH, laneChoices, renderK6Script } from './k6-script';
import { k6TypeErrors } from './k6-typecheck';

const committed = join(ROOT, K6_SCRIPT_PATH);

describe('k6 script rendered from the definition', () => {
  it('type-checks against @types/k6 (the committed file, as synth --check keeps it)', () => {
    expect(readFileSync(committed, 'utf8')).toBe(renderK6Script(spillway));
    expect(k6TypeErrors(committed)).toEqual([]);
  });

  it('reports a script k6 would reject: a misspelt executor, a wrong option type', () => {
    const dir = mkdtempSync(join(tmpdir(), 'k6-'));
    const bad = join(dir, 'bad.js');
    const script = renderK6Script(spillway)
      .replace("'constant-arrival-rate'", "'constant-arival-rate'")
      .replace("timeUnit: '1s'", 'timeUnit: 1');
    writeFileSync(bad, script);
    const errors = k6TypeErrors(bad);
    expect(errors.join('\n')).toMatch(/constant-arival-rate|not assignable/);
    expect(errors.length).toBeGreaterThan(0);
  });

  it("carries the plan: the seed's 10K rps (overridable), thresholds, auth, and the lane mix", () => {
    const script = renderK6Script(spillway);
    expect(script).toContain("executor: 'constant-arrival-rate'");
    expect(script).toContain('Number(__ENV.K6_RPS || 10000)');
    expect(script).toContain("http_req_failed: ['rate<0.01']");
    expect(script).toContain("http_req_duration: ['p(95)<200', 'p(99)<500']");
    expect(script).toContain("dropped_iterations: ['count<=0']");
    expect(script).toContain('authorization: `Bearer ${API_KEY}`');
    const choices = laneChoices(spillway, spillway.load!);
    expect(choices.map((c) => [c.lane, c.type, c.upTo])).toEqual([
      ['critical', 'payment.captured', 0.1],
      ['normal', 'load.test', 0.8],
      ['low', 'analytics.load-test', 1],
    ]);
  });

  it('picks event types through the same router the absorber uses, or falls back to priority', () => {
    expect(eventTypeFor({ 'billing.*': 'critical' }, 'critical')).toBe('billing.load-test');
    expect(eventTypeFor({ 'billing.*': 'critical' }, 'low')).toBeUndefined();
    const def = { ...spillway, routes: {} };
    expect(laneChoices(def, spillway.load!).find((c) => c.lane === 'low')).toMatchObject({ type: 'load.test', priority: true });
  });
});
