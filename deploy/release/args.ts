// The release commands' options: `--name value` pairs and bare flags, anything else named as wrong.
export class UsageError extends Error {}

export function parseArgs(command: string, args: string[], valued: string[], flags: string[]): Record<string, string | true> {
  const out: Record<string, string | true> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (flags.includes(a)) out[a.slice(2)] = true;
    else if (valued.includes(a)) {
      const v = args[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${command}: ${a} needs a value; see --help`);
      out[a.slice(2)] = v;
    } else throw new UsageError(`${command}: unknown option ${a}; see --help`);
  }
  return out;
}

export type Target = 'eks' | 'hetzner';

export function targetOf(command: string, value: string | true | undefined): Target {
  if (value === 'eks' || value === 'hetzner') return value;
  throw new UsageError(`${command}: --target eks or --target hetzner is required${typeof value === 'string' ? ` (got "${value}")` : ''}`);
}
