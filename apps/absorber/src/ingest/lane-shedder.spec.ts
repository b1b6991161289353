import { Lane } from '@spillway/config';
import { SamplingPlan, SHEDDER_SAMPLING, shedderReadsPerMinute } from '@spillway/queue';
import { LaneShedder } from './lane-shedder';

const SQS_PLAN: SamplingPlan = { ...SHEDDER_SAMPLING, exactDepth: false };

/** A shedder on a hand-driven clock over a broker that counts its reads. */
function rig(plan: SamplingPlan, marks: Record<Lane, number> = { critical: 100_000, normal: 50_000, low: 20_000 }) {
  let now = 0;
  const backlog: Record<Lane, number> = { critical: 0, normal: 0, low: 0 };
  const reads: Lane[] = [];
  const shedder = new LaneShedder(
    marks,
    async (lane) => {
      reads.push(lane);
      return { waiting: backlog[lane], delayed: 0 };
    },
    undefined,
    undefined,
    plan,
    () => now,
  );
  /** Runs the ticks of `ms` milliseconds, as start() would. */
  const run = async (ms: number) => {
    for (const end = now + ms; now < end; ) {
      now += plan.tickMs;
      await shedder.sample(false);
    }
  };
  return { shedder, backlog, reads, run };
}

describe('LaneShedder sampling', () => {
  it('reads an idle SQS lane once a minute: 3 reads a minute per replica with the absorber defaults', async () => {
    const { shedder, reads, run } = rig(SQS_PLAN);
    await shedder.sample();
    reads.length = 0;
    await run(10 * 60_000);
    expect(reads.length / 10).toBe(3);
    expect(shedderReadsPerMinute(SHEDDER_SAMPLING, 3, false)).toEqual({ idle: 3, busyMax: 36 });
    expect(shedderReadsPerMinute(SHEDDER_SAMPLING, 3, false).idle).toBeLessThanOrEqual(12);
  });

  it('keeps reading an exact broker (BullMQ) every tick: Redis counts cost nothing to ask for', async () => {
    const { shedder, reads, run } = rig({ ...SHEDDER_SAMPLING, exactDepth: true });
    await shedder.sample();
    reads.length = 0;
    await run(60_000);
    expect(reads.length).toBe(shedderReadsPerMinute(SHEDDER_SAMPLING, 3, true).idle);
    expect(reads.length).toBe(720);
  });

  it('reads a lane sooner, at most once per busyMs, when its own sends could carry it to half its mark', async () => {
    const { shedder, reads, run } = rig(SQS_PLAN, { critical: 0, normal: 0, low: 1000 });
    await shedder.sample();
    reads.length = 0;
    shedder.sent('low', 499); // 499 < half of 1000: still idle
    await run(30_000);
    expect(reads).toEqual([]);
    shedder.sent('low', 1);
    await run(SQS_PLAN.tickMs);
    expect(reads).toEqual(['low']); // 30 s since the last read, past busyMs
    // Flooded: at most one read per busyMs however many sends.
    reads.length = 0;
    for (let t = 0; t < 60_000; t += 250) {
      shedder.sent('low', 1000);
      await run(250);
    }
    expect(reads.length).toBe(60_000 / SQS_PLAN.busyMs);
  });

  it('sheds a lane over its mark within busyMs of the read that shows it, and reopens within busyMs once it drains', async () => {
    const { shedder, backlog, run } = rig(SQS_PLAN, { critical: 0, normal: 0, low: 1000 });
    await shedder.sample();
    backlog.low = 1200; // other replicas filled it; this one sent 600
    shedder.sent('low', 600);
    await run(SQS_PLAN.busyMs);
    expect(shedder.over('low')).toEqual({ kind: 'backlog', backlog: 1200, mark: 1000 });
    backlog.low = 10; // the workers caught up; shed, this absorber sends nothing
    await run(SQS_PLAN.busyMs);
    expect(shedder.over('low')).toBeUndefined();
  });

  it('counts sends made while a read is in flight towards the next read', async () => {
    let release!: () => void;
    const shedder = new LaneShedder({ critical: 0, normal: 0, low: 1000 }, () => new Promise((r) => (release = () => r({ waiting: 0, delayed: 0 }))), undefined, undefined, SQS_PLAN, () => 0);
    const read = shedder.sample();
    shedder.sent('low', 700);
    release();
    await read;
    expect(shedder.due('low', SQS_PLAN.busyMs)).toBe(true);
  });
});
