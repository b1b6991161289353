import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Manifest, seal, SealError, unseal } from './sealed-file';

describe('sealed backup file', () => {
  let dir: string;
  const key = randomBytes(32);
  const dump = randomBytes(200_000);
  const manifest: Manifest = { name: '2026-12-01T00-00-00-000Z.dump.aes', takenAt: '2026-12-01T00:00:00.000Z', counts: { events: 3, processed_events: 3 } };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sealed-spec-'));
    await writeFile(join(dir, 'dump'), dump);
    await seal(join(dir, 'dump'), join(dir, 'dump.aes'), key, manifest);
    await rm(join(dir, 'dump'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('gives back the dump and its manifest (the row counts travel inside the ciphertext)', async () => {
    const sealed = await readFile(join(dir, 'dump.aes'));
    expect(sealed.includes(Buffer.from('processed_events'))).toBe(false);
    expect(await unseal(join(dir, 'dump.aes'), join(dir, 'dump'), key, manifest.name)).toEqual(manifest);
    expect((await readFile(join(dir, 'dump'))).equals(dump)).toBe(true);
  });

  it('leaves no plaintext on disk when one byte of the object changed', async () => {
    const sealed = await readFile(join(dir, 'dump.aes'));
    sealed[Math.floor(sealed.length / 2)] ^= 1;
    await writeFile(join(dir, 'dump.aes'), sealed);
    await expect(unseal(join(dir, 'dump.aes'), join(dir, 'dump'), key, manifest.name)).rejects.toThrow(SealError);
    expect(await readdir(dir)).toEqual(['dump.aes']);
  });

  it('refuses the same bytes under another name (an older dump passed off as a newer one)', async () => {
    await expect(unseal(join(dir, 'dump.aes'), join(dir, 'dump'), key, '2026-12-02T00-00-00-000Z.dump.aes')).rejects.toThrow(
      /does not authenticate as 2026-12-02T00-00-00-000Z.dump.aes/,
    );
    expect(await readdir(dir)).toEqual(['dump.aes']);
  });

  it('refuses a changed header (the additional data covers it)', async () => {
    const sealed = await readFile(join(dir, 'dump.aes'));
    sealed[20] ^= 1; // inside the IV
    await writeFile(join(dir, 'dump.aes'), sealed);
    await expect(unseal(join(dir, 'dump.aes'), join(dir, 'dump'), key, manifest.name)).rejects.toThrow(/does not authenticate/);
  });

  it('names the old format instead of restoring it', async () => {
    await writeFile(join(dir, 'old.aes'), Buffer.concat([Buffer.from('SPILLWAY-BACKUP-1\n'), randomBytes(64)]));
    await expect(unseal(join(dir, 'old.aes'), join(dir, 'dump'), key, 'old.aes')).rejects.toThrow(/first backup format/);
  });
});
