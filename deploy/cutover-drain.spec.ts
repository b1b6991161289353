import { defaultDrainWindowS, DrainRules, drainRules, DrainSample, DrainState, drainStep, DrainVerdict, runDrain, trafficFromMetrics } from './cutover-drain';

const rules: DrainRules = { windowS: 120, moveAfterS: 300, giveUpS: 3600 };

/** Runs samples through the condition, one per second by default, and returns every verdict. */
function run(samples: Array<Partial<DrainSample> & { atS: number }>, r = rules): DrainVerdict[] {
  let state: DrainState = {};
  return samples.map((s) => {
    const step = drainStep(state, { traffic: 0, pending: 0, ...s }, r);
    state = step.state;
    return step.verdict;
  });
}
const seconds = (from: number, to: number, sample: Partial<DrainSample> = {}) => Array.from({ length: to - from + 1 }, (_, i) => ({ atS: from + i, ...sample }));

describe('cutover drain condition', () => {
  it('defaults the window to the DNS TTL plus the SQS metrics lag', () => {
    expect(defaultDrainWindowS(60)).toBe(120);
  });

  it('is done only after the absorber is quiet and the queues empty, both for the whole window', () => {
    const verdicts = run(seconds(0, 120));
    expect(verdicts.slice(0, 120).every((v) => v.action === 'wait')).toBe(true);
    expect(verdicts[120]).toMatchObject({ action: 'done' });
  });

  it('restarts the window when the old absorber takes a request, even while its queues read empty', () => {
    // Workers keep the queues empty while clients that cached the old DNS answer still post.
    const verdicts = run([...seconds(0, 100, { traffic: 5 }), { atS: 101, traffic: 6 }, ...seconds(102, 222, { traffic: 6 })]);
    expect(verdicts.slice(0, 222).some((v) => v.action === 'done')).toBe(false);
    expect(verdicts[222]).toMatchObject({ action: 'done' });
  });

  it('restarts the window on one non-empty reading (an approximate SQS count coming late)', () => {
    const verdicts = run([...seconds(0, 110), { atS: 111, pending: 1 }, ...seconds(112, 232)]);
    expect(verdicts.findIndex((v) => v.action === 'done')).toBe(verdicts.length - 1);
    expect(verdicts[verdicts.length - 2].action).toBe('wait');
  });

  it('counts an unreachable absorber as taking no traffic', () => {
    expect(run(seconds(0, 120, { traffic: undefined }))[120]).toMatchObject({ action: 'done' });
  });

  it('moves what is left after the move deadline, and moves late arrivals again', () => {
    const verdicts = run([...seconds(0, 299, { pending: 3 }), { atS: 300, pending: 3 }, ...seconds(301, 310), { atS: 311, pending: 1 }]);
    expect(verdicts[299].action).toBe('wait');
    expect(verdicts[300]).toMatchObject({ action: 'move', reason: '3 still pending after 300 s' });
    expect(verdicts[verdicts.length - 1]).toMatchObject({ action: 'move' });
  });

  // A mutation-run survivor: "move" with nothing pending would run queue:move for nothing.
  it('does not move when the queues are empty past the move deadline, even while traffic comes in', () => {
    const verdicts = run(seconds(299, 302).map((x) => ({ ...x, traffic: x.atS })));
    expect(verdicts.map((v) => v.action)).toEqual(['wait', 'wait', 'wait', 'wait']);
  });

  it('an absorber that stops answering mid-drain takes no traffic: the window runs on', () => {
    const verdicts = run([{ atS: 0, traffic: 7 }, ...seconds(1, 130, { traffic: undefined })]);
    expect(verdicts.at(-1)).toMatchObject({ action: 'done' });
  });

  it('gives up when no quiet window came in time, so nothing is scaled down', () => {
    const verdicts = run(seconds(3590, 3600).map((s, i) => ({ ...s, traffic: i })));
    expect(verdicts[verdicts.length - 1]).toMatchObject({ action: 'give-up' });
  });

  it('reads the absorber traffic counters from its Prometheus text', () => {
    const text = [
      '# HELP spillway_events_accepted_total Events acknowledged with 202, by lane',
      'spillway_events_accepted_total{lane="normal"} 40',
      'spillway_events_accepted_total{lane="low"} 2',
      'spillway_requests_rejected_total{reason="shed"} 3',
      'spillway_events_processed_total{lane="normal"} 999',
    ].join('\n');
    expect(trafficFromMetrics(text)).toBe(45);
  });
});

describe('cutover drain loop (runDrain) and its rules', () => {
  const clock = () => {
    const c = { t: 0, now: () => c.t, sleep: async (ms: number) => void (c.t += ms) };
    return c;
  };
  /** Sides whose old queues read `pending(atS)`; a move empties them. */
  const sides = (pending: (atS: number) => number, c: { t: number }) => {
    const lines: string[] = [];
    let movedAt: number | undefined;
    return {
      lines,
      moves: [] as number[],
      get movedAt() {
        return movedAt;
      },
      side: {
        old: 'hetzner',
        pending: async () => (movedAt !== undefined && c.t / 1000 > movedAt ? 0 : pending(c.t / 1000)),
        traffic: async () => undefined,
        move: async () => void (movedAt = c.t / 1000),
        log: (l: string) => void lines.push(l),
      },
    };
  };

  it('takes --drain-window, else the DNS TTL plus the SQS lag, and the other two flags as given', () => {
    expect(drainRules({ drainTimeoutS: 300, drainGiveUpS: 3600 }, 60)).toEqual({ windowS: 120, moveAfterS: 300, giveUpS: 3600 });
    expect(drainRules({ drainWindowS: 0, drainTimeoutS: 5, drainGiveUpS: 9 }, 60)).toEqual({ windowS: 0, moveAfterS: 5, giveUpS: 9 });
  });

  it('samples once a second, moves after moveAfterS, and resolves once the window passed', async () => {
    const c = clock();
    const s = sides(() => 3, c);
    await runDrain({ windowS: 10, moveAfterS: 20, giveUpS: 100 }, s.side, c);
    expect(s.movedAt).toBe(20);
    expect(s.lines[0]).toBe('drain hetzner: wait: old absorber unreachable (takes no traffic), 3 pending; quiet for 0 of 10 s');
    expect(s.lines).toContain('drain hetzner: move: 3 still pending after 20 s');
    expect(s.lines.at(-1)).toBe('drain hetzner: done: quiet and empty for 10 s (window 10 s)');
    expect(c.t).toBe(31_000);
  });

  it('throws at give-up, naming the side and that nothing was scaled down', async () => {
    const c = clock();
    const s = sides(() => 1, c);
    s.side.move = async () => undefined; // the move never empties it
    await expect(runDrain({ windowS: 10, moveAfterS: 5, giveUpS: 30 }, s.side, c)).rejects.toThrow(
      'hetzner not drained: no quiet window of 10 s within 30 s (old absorber unreachable (takes no traffic), 1 pending); nothing scaled down, re-run to continue',
    );
    expect(c.t).toBe(30_000);
  });
});
