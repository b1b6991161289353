import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { staleOutputs, synth } from './synth';

describe('synth command', () => {
  it('--check passes on the committed outputs', () => {
    const lines: string[] = [];
    expect(synth(['--check'], (l) => lines.push(l))).toBe(0);
    expect(lines.join('\n')).toContain('up to date');
  });

  it('finds stale and missing outputs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'synth-'));
    try {
      writeFileSync(join(dir, 'a.yml'), 'old\n');
      writeFileSync(join(dir, 'b.yml'), 'same\n');
      expect(staleOutputs({ 'a.yml': 'new\n', 'b.yml': 'same\n', 'c.yml': 'x' }, dir)).toEqual(['a.yml', 'c.yml']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--help prints usage; an unknown option is an error', () => {
    const lines: string[] = [];
    expect(synth(['--help'], (l) => lines.push(l))).toBe(0);
    expect(lines[0]).toMatch(/^Usage: npm run synth/);
    expect(synth(['--force'], () => undefined)).toBe(2);
  });
});
