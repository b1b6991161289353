import { spillway } from '../spillway';
import { definitionProblems } from './validate';

describe('the load plan in the definition', () => {
  it('is valid as committed, and optional', () => {
    expect(definitionProblems(spillway)).toEqual([]);
    expect(definitionProblems({ ...spillway, load: undefined })).toEqual([]);
  });

  it('refuses a mix that does not add up, an unknown lane, inverted percentiles, a bad rate', () => {
    const load = spillway.load!;
    const bad = {
      ...load,
      rps: 0,
      laneMix: { critical: 10, normal: 70, low: 10, urgent: 5 } as typeof load.laneMix,
      thresholds: { ...load.thresholds, p99Ms: 100 },
    };
    expect(definitionProblems({ ...spillway, load: bad })).toEqual([
      'load.rps: must be a whole number of requests per second > 0',
      'load.laneMix.urgent: unknown lane; lanes are critical, normal, low',
      'load.laneMix: percents add up to 90, not 100',
      'load.thresholds: p95Ms > 0 and p99Ms >= p95Ms',
    ]);
  });
});
