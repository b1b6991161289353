import { expired, StoredDump } from './object-store';
import { BackupSettings } from './settings';

const settings = { retentionDays: 30, keepMin: 2 } as BackupSettings;
const day = 86_400_000;
const now = new Date('2026-12-01T00:00:00Z');
const dump = (daysAgo: number): StoredDump => ({ key: `d-${1000 - daysAgo}`, size: 1, lastModified: new Date(now.getTime() - daysAgo * day) });

describe('retention', () => {
  it('deletes dumps older than the retention, oldest first', () => {
    expect(expired([dump(60), dump(31), dump(29), dump(1)], settings, now).map((d) => d.key)).toEqual(['d-940', 'd-969']);
  });

  it('always keeps the newest keepMin, however old (a box that stopped backing up keeps its last dumps)', () => {
    expect(expired([dump(90), dump(80), dump(70)], settings, now).map((d) => d.key)).toEqual(['d-910']);
    expect(expired([dump(90)], settings, now)).toEqual([]);
  });
});
