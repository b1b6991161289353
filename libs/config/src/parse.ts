import { isLane, Lane, LANES, LaneRoute } from './lanes';

/** Collects one message per bad variable instead of stopping at the first. */
export class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  private raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optional(name: string): string | undefined {
    return this.raw(name);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.problems.push(`${name}: must be one of ${allowed.join(', ')} (got "${value}")`);
    return fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      this.problems.push(`${name}: must be an integer from ${min} to ${max} (got "${value}")`);
      return fallback;
    }
    return n;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    this.problems.push(`${name}: must be true or false (got "${value}")`);
    return fallback;
  }

  url(name: string, fallback: string, protocols: string[]): string {
    const value = this.raw(name) ?? fallback;
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) {
        this.problems.push(`${name}: must use ${protocols.join(' or ')} (got "${parsed.protocol}")`);
      }
    } catch {
      this.problems.push(`${name}: not a valid URL`);
    }
    return value;
  }

  lanes(name: string, fallback: readonly Lane[]): Lane[] {
    const value = this.raw(name);
    if (value === undefined) return [...fallback];
    const lanes = value.split(',').map((s) => s.trim());
    const bad = lanes.filter((l) => !isLane(l));
    if (bad.length || lanes.length === 0) {
      this.problems.push(`${name}: unknown lane(s) ${bad.join(', ')}; lanes are ${LANES.join(', ')}`);
      return [...fallback];
    }
    return [...new Set(lanes as Lane[])];
  }

  /** `8` for every lane, or `critical=8,normal=4,low=2` (missing lanes take `fallback`). */
  perLane(name: string, fallback: number | Record<Lane, number>, min: number, max: number): Record<Lane, number> {
    const result = typeof fallback === 'number' ? (Object.fromEntries(LANES.map((l) => [l, fallback])) as Record<Lane, number>) : { ...fallback };
    const value = this.raw(name);
    if (value === undefined) return result;
    const check = (text: string): number | undefined => {
      const n = Number(text);
      return Number.isInteger(n) && n >= min && n <= max ? n : undefined;
    };
    if (!value.includes('=')) {
      const n = check(value);
      if (n === undefined) this.problems.push(`${name}: must be an integer from ${min} to ${max} or lane=n pairs (got "${value}")`);
      else for (const lane of LANES) result[lane] = n;
      return result;
    }
    for (const pair of value.split(',')) {
      const [lane, count] = pair.split('=').map((s) => s.trim());
      const n = check(count ?? '');
      if (!isLane(lane) || n === undefined) {
        this.problems.push(`${name}: bad entry "${pair}"; expected lane=n with n from ${min} to ${max}`);
        continue;
      }
      result[lane] = n;
    }
    return result;
  }

  /** `payment.captured=critical,analytics.*=low` */
  routes(name: string): LaneRoute[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    const routes: LaneRoute[] = [];
    for (const pair of value.split(',')) {
      const [pattern, lane] = pair.split('=').map((s) => s.trim());
      if (!pattern || !isLane(lane)) {
        this.problems.push(`${name}: bad entry "${pair}"; expected type=lane with lane one of ${LANES.join(', ')}`);
        continue;
      }
      routes.push({ pattern, lane });
    }
    return routes;
  }
}
