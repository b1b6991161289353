#!/usr/bin/env node
// Creates each missing deploy/hetzner/secrets/<service>.env from its .env.example, every example
// value (`example-...-change-me`) replaced by a fresh random one. The absorber refuses the example
// values at start, so a stack started from copied examples would not come up. One example value
// gets one random value across the files created in one run, so the Postgres password in
// postgres.env and in each DATABASE_URL still agree: create them all at once. Existing files are
// left alone. Prints the path of each file it created.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '../deploy/hetzner/secrets');
const fresh = new Map();
for (const name of readdirSync(dir).filter((f) => f.endsWith('.env.example')).sort()) {
  const target = join(dir, name.slice(0, -'.example'.length));
  if (existsSync(target)) continue;
  const text = readFileSync(join(dir, name), 'utf8').replace(/example-[A-Za-z0-9-]*-change-me/g, (example) => {
    if (!fresh.has(example)) fresh.set(example, randomBytes(24).toString('hex'));
    return fresh.get(example);
  });
  writeFileSync(target, text);
  console.log(target);
}
