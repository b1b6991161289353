import { spillway } from '../spillway';
import { plainEnv } from './env';
import { composeDefinition, eksDefinition, targetOf } from './targets';
import { definitionProblems } from './validate';

describe("the absorber's NODE_OPTIONS: V8's heap sized from its container's memory limit", () => {
  const absorber = spillway.services.find((s) => s.role === 'absorber')!;
  const worker = spillway.services.find((s) => s.role === 'worker')!;

  it('compose: the target\'s own limit (640 MiB: old space 320); EKS: the pod\'s (512 MiB: 256); the worker gets none', () => {
    const compose = composeDefinition(spillway);
    const eks = eksDefinition(spillway);
    expect(plainEnv(compose, absorber, compose.target).NODE_OPTIONS).toBe('--max-semi-space-size=16 --max-old-space-size=320');
    expect(plainEnv(eks, absorber, eks.target).NODE_OPTIONS).toBe('--max-semi-space-size=16 --max-old-space-size=256');
    expect(plainEnv(compose, worker, compose.target).NODE_OPTIONS).toBeUndefined();
  });

  it('follows a changed limit, and cannot be set by hand in env', () => {
    const changed = structuredClone(spillway);
    targetOf(changed, 'hetzner', 'compose').services.absorber.resources.limits.memoryMiB = 1024;
    const compose = composeDefinition(changed);
    expect(plainEnv(compose, absorber, compose.target).NODE_OPTIONS).toBe('--max-semi-space-size=16 --max-old-space-size=512');
    targetOf(changed, 'hetzner', 'compose').env.NODE_OPTIONS = '--max-old-space-size=4096';
    expect(definitionProblems(changed)).toContain("targets.hetzner.env.NODE_OPTIONS: computed from the definition's typed fields; set those instead");
  });
});
