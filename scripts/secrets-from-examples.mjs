#!/usr/bin/env node
// Creates each missing deploy/hetzner/secrets/<service>.env from its .env.example, every example
// value (`example-...-change-me`) replaced by a fresh random one. The absorber refuses the example
// values at start, so a stack started from copied examples would not come up. One example value
// gets one random value across the files created in one run, so the Postgres password in
// postgres.env and in each DATABASE_URL still agree: create them all at once. Existing files are
// left alone. Prints the path of each file it created. The backup encryption key's example (a
// base64 value: the tool wants 32 bytes) gets 32 random bytes in base64.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '../deploy/hetzner/secrets');
const fresh = new Map();
// backup.env.example's BACKUP_ENCRYPTION_KEY, which db:backup refuses as the example it is.
const EXAMPLE_BACKUP_KEY = 'ZXhhbXBsZS1rZXktY2hhbmdlLW1lLTMyLWJ5dGVzISE=';
for (const name of readdirSync(dir).filter((f) => f.endsWith('.env.example')).sort()) {
  const target = join(dir, name.slice(0, -'.example'.length));
  if (existsSync(target)) continue;
  const text = readFileSync(join(dir, name), 'utf8')
    .replace(/example-[A-Za-z0-9-]*-change-me/g, (example) => {
      if (!fresh.has(example)) fresh.set(example, randomBytes(24).toString('hex'));
      return fresh.get(example);
    })
    .replaceAll(EXAMPLE_BACKUP_KEY, () => randomBytes(32).toString('base64'));
  writeFileSync(target, text);
  console.log(target);
}
