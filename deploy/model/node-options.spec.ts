import { spillway } from '../spillway';
import { plainEnv } from './env';
import { composeDefinition, eksDefinition, targetOf } from './targets';
import { definitionProblems } from './validate';

describe("the absorber's NODE_OPTIONS (V8's young generation, docs/benchmark.md)", () => {
  const absorber = spillway.services.find((s) => s.role === 'absorber')!;
  const worker = spillway.services.find((s) => s.role === 'worker')!;

  it('the absorber on both targets gets 16 MB semi-spaces and no old-space cap; the worker gets none', () => {
    const compose = composeDefinition(spillway);
    const eks = eksDefinition(spillway);
    expect(plainEnv(compose, absorber, compose.target).NODE_OPTIONS).toBe('--max-semi-space-size=16');
    expect(plainEnv(eks, absorber, eks.target).NODE_OPTIONS).toBe('--max-semi-space-size=16');
    expect(plainEnv(compose, worker, compose.target).NODE_OPTIONS).toBeUndefined();
  });

  it('cannot be set by hand in env (it would fork what the bench measures from what is deployed)', () => {
    const changed = structuredClone(spillway);
    targetOf(changed, 'hetzner', 'compose').env.NODE_OPTIONS = '--max-old-space-size=4096';
    expect(definitionProblems(changed)).toContain("targets.hetzner.env.NODE_OPTIONS: computed from the definition's typed fields; set those instead");
  });
});
