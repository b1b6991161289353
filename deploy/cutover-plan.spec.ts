import { parseCutoverArgs, plannedWeights } from './cutover-plan';

describe('cutover plan', () => {
  it('walks the destination weight up the steps, each split summing to 100', () => {
    expect(plannedWeights({ hetzner: 100, eks: 0 }, 'eks', [10, 50, 100])).toEqual([
      { eks: 10, hetzner: 90 },
      { eks: 50, hetzner: 50 },
      { eks: 100, hetzner: 0 },
    ]);
  });

  it('resumes after an interruption: steps behind the current split are skipped, the current one re-applied', () => {
    expect(plannedWeights({ hetzner: 50, eks: 50 }, 'eks', [10, 50, 100])).toEqual([
      { eks: 50, hetzner: 50 },
      { eks: 100, hetzner: 0 },
    ]);
    expect(plannedWeights({ hetzner: 0, eks: 100 }, 'hetzner', [50, 90, 100])).toHaveLength(3);
  });

  it('refuses steps that do not rise to 100, with what to do', () => {
    expect(() => parseCutoverArgs(['--to', 'eks', '--steps', '50,10,100'], {})).toThrow('--steps must rise');
    expect(() => parseCutoverArgs(['--to', 'eks', '--steps', '10,50'], {})).toThrow('--steps must end at 100');
    expect(() => parseCutoverArgs(['--to', 'mars'], {})).toThrow('--to must be eks or hetzner');
    expect(parseCutoverArgs(['--to', 'hetzner'], { CUTOVER_EKS_URL: 'http://e' })).toMatchObject({ steps: [10, 50, 100], urls: { eks: 'http://e' } });
  });
});
