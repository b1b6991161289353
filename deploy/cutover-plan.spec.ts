import { describePlan, parseCutoverArgs, plannedWeights, weightProblem } from './cutover-plan';

describe('cutover plan', () => {
  it('walks the destination weight up the steps, each split summing to 100', () => {
    expect(plannedWeights({ hetzner: 100, eks: 0 }, 'hetzner', 'eks', [10, 50, 100])).toEqual([
      { eks: 10, hetzner: 90 },
      { eks: 50, hetzner: 50 },
      { eks: 100, hetzner: 0 },
    ]);
  });

  it('resumes after an interruption: steps behind the current split are skipped, the current one re-applied', () => {
    expect(plannedWeights({ hetzner: 50, eks: 50 }, 'hetzner', 'eks', [10, 50, 100])).toEqual([
      { eks: 50, hetzner: 50 },
      { eks: 100, hetzner: 0 },
    ]);
    expect(plannedWeights({ hetzner: 0, eks: 100 }, 'eks', 'hetzner', [50, 90, 100])).toHaveLength(3);
  });

  it('refuses steps that do not rise to 100, with what to do', () => {
    expect(() => parseCutoverArgs(['--to', 'eks', '--steps', '50,10,100'], {})).toThrow('--steps must rise');
    expect(() => parseCutoverArgs(['--to', 'eks', '--steps', '10,50'], {})).toThrow('--steps must end at 100');
    expect(() => parseCutoverArgs(['--to', 'mars'], {})).toThrow('--to must name a target taking traffic: hetzner, eks');
    expect(parseCutoverArgs(['--to', 'hetzner'], { CUTOVER_EKS_URL: 'http://e' })).toMatchObject({ steps: [10, 50, 100], urls: { eks: 'http://e' } });
  });

  // Survivors of the mutation run (docs/mutation/): each bound of the weight check and "rise" as strict.
  it('refuses weights that are not whole numbers from 0 to 100, and a step repeated', () => {
    for (const steps of ['10.5,100', '-1,100', '50,101', 'x,100']) {
      expect(() => parseCutoverArgs(['--to', 'eks', '--steps', steps], {})).toThrow('--steps: integers from 0 to 100');
    }
    expect(() => parseCutoverArgs(['--to', 'eks', '--steps', '50,50,100'], {})).toThrow('--steps must rise');
    expect(parseCutoverArgs(['--to', 'eks', '--steps', ' 0, 100'], {}).steps).toEqual([0, 100]);
    expect(() => parseCutoverArgs(['--to', 'eks', '--hold', '-1'], {})).toThrow('--hold must be a number of seconds');
    expect(parseCutoverArgs(['--to', 'eks', '--hold', '0'], {}).holdS).toBe(0);
  });

  it('takes every flag the cutover acts on, and knows the other side of each', () => {
    const o = parseCutoverArgs(
      ['--to', 'hetzner', '--drain-timeout', '5', '--root', '/r', '--apply', 'a', '--scale-down', 's', '--eks-metrics-url', 'http://e:9/metrics', '--dry-run'],
      { CUTOVER_HETZNER_URL: 'http://h' },
    );
    expect(o).toMatchObject({ to: 'hetzner', drainTimeoutS: 5, root: '/r', apply: 'a', scaleDown: 's', dryRun: true, urls: { hetzner: 'http://h' }, metricsUrls: { eks: 'http://e:9/metrics' } });
    expect(parseCutoverArgs(['--to', 'eks'], {})).toMatchObject({ holdS: 60, drainTimeoutS: 300, dryRun: false });
    expect([parseCutoverArgs(['--to', 'eks'], {}).from, parseCutoverArgs(['--to', 'hetzner'], {}).from]).toEqual(['hetzner', 'eks']);
  });

  it('takes the drain window, give-up and metrics URLs from flags; the window defaults to the definition', () => {
    const o = parseCutoverArgs(['--to', 'eks', '--drain-window', '30', '--drain-give-up', '600', '--hetzner-metrics-url', 'http://h:9/metrics'], {});
    expect(o).toMatchObject({ drainWindowS: 30, drainGiveUpS: 600, metricsUrls: { hetzner: 'http://h:9/metrics' } });
    expect(parseCutoverArgs(['--to', 'eks'], {})).toMatchObject({ drainWindowS: undefined, drainGiveUpS: 3600 });
    expect(() => parseCutoverArgs(['--to', 'eks', '--drain-window', 'soon'], {})).toThrow('--drain-window must be a number of seconds');
  });

  it('prints the whole plan for --dry-run: every step with its hold, the drain condition and the scale-down', () => {
    const o = parseCutoverArgs(['--to', 'eks', '--hold', '30', '--hetzner-url', 'http://h', '--eks-url', 'http://e', '--scale-down', 'docker compose stop worker'], {});
    const text = describePlan({ hetzner: 100, eks: 0 }, o, 120, 60, 'Route 53: UPSERT the pair').join('\n');
    expect(text).toContain('plan: hetzner -> eks, now hetzner 100 / eks 0');
    expect(text).toMatch(/step 1\/3: set hetzner 90 \/ eks 10[^\n]*Route 53: UPSERT the pair\n\s+hold 30 s: eks readiness \(http:\/\/e\/health\/ready\)/);
    expect(text).toContain('step 3/3: set hetzner 0 / eks 100');
    expect(text).toContain('drain hetzner: done once its absorber takes no traffic (http://h/metrics');
    expect(text).toContain('both without a break for 120 s (DNS TTL 60 s');
    expect(text).toContain("after 300 s, anything still in hetzner's queues is moved to eks (queue:move)");
    expect(text).toContain("scale down hetzner's workers: docker compose stop worker");
    expect(text).not.toContain('end: ');
    const custom = parseCutoverArgs(['--to', 'eks', '--apply', './publish.sh', '--end-simple', '--box-tls', 'box:8443', '--box-address', '198.51.100.7', '--alb-zone-id', 'Z1'], {});
    expect(custom).toMatchObject({ boxTls: 'box:8443', boxAddress: '198.51.100.7', albZoneId: 'Z1', endSimple: true });
    const customText = describePlan({ hetzner: 100, eks: 0 }, custom, 120, 60, 'Route 53').join('\n');
    expect(customText).toContain('step 1/3: set hetzner 90 / eks 10 (deploy/traffic.json), run: ./publish.sh');
    expect(customText).toContain('end: the weighted pair becomes one simple record for eks (one Route 53 batch)');
  });

  // Targets by name (#36): a third target taking traffic, moved to and from by name.
  describe('between any two targets chosen by name', () => {
    const names = ['hetzner', 'eks', 'staging'];
    it('needs --from once more than two targets take traffic; each side by its own flags', () => {
      expect(() => parseCutoverArgs(['--to', 'staging'], {}, names)).toThrow('--from is required with more than two targets taking traffic (hetzner, eks, staging)');
      expect(() => parseCutoverArgs(['--from', 'mars', '--to', 'staging'], {}, names)).toThrow('--from must name a target taking traffic: hetzner, eks, staging');
      expect(() => parseCutoverArgs(['--from', 'eks', '--to', 'eks'], {}, names)).toThrow('--from and --to are both eks');
      const o = parseCutoverArgs(['--from', 'eks', '--to', 'staging', '--eks-url', 'http://e', '--staging-metrics-url', 'http://s:9/metrics'], { CUTOVER_STAGING_URL: 'http://s' }, names);
      expect(o).toMatchObject({ from: 'eks', to: 'staging', urls: { eks: 'http://e', staging: 'http://s' }, metricsUrls: { staging: 'http://s:9/metrics' } });
    });

    it('walks the weight from one to the other; any third target stays at 0, and one holding traffic stops the move', () => {
      const now = { hetzner: 0, eks: 100, staging: 0 };
      expect(plannedWeights(now, 'eks', 'staging', [50, 100])).toEqual([
        { hetzner: 0, eks: 50, staging: 50 },
        { hetzner: 0, eks: 0, staging: 100 },
      ]);
      expect(weightProblem(now, { from: 'eks', to: 'staging' })).toBeUndefined();
      expect(weightProblem({ hetzner: 10, eks: 90, staging: 0 }, { from: 'eks', to: 'staging' })).toBe(
        'deploy/traffic.json gives hetzner 10 to targets other than eks and staging; move that traffic first',
      );
      const o = parseCutoverArgs(['--from', 'eks', '--to', 'staging', '--steps', '50,100'], {}, names);
      const text = describePlan(now, o, 120, 60, 'Route 53').join('\n');
      expect(text).toContain('plan: eks -> staging, now hetzner 0 / eks 100 / staging 0');
      expect(text).toContain('step 2/2: set hetzner 0 / eks 0 / staging 100');
      expect(text).toContain("scale down eks's workers");
    });
  });
});
