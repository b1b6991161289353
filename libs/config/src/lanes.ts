export const LANES = ['critical', 'normal', 'low'] as const;
export type Lane = (typeof LANES)[number];

export function isLane(value: unknown): value is Lane {
  return typeof value === 'string' && (LANES as readonly string[]).includes(value);
}

/** One entry of the route table: an exact event type, or a prefix pattern such as `billing.*`. */
export interface LaneRoute {
  pattern: string;
  lane: Lane;
}

/**
 * Resolves an event's lane: `priority` if given, else the route table by type
 * (exact type first, then the longest matching `prefix.*`), else `normal`.
 */
export class LaneRouter {
  private readonly exact = new Map<string, Lane>();
  private readonly prefixes: Array<[string, Lane]>;

  constructor(routes: readonly LaneRoute[]) {
    const prefixes: Array<[string, Lane]> = [];
    for (const route of routes) {
      if (route.pattern.endsWith('.*')) prefixes.push([route.pattern.slice(0, -1), route.lane]);
      else this.exact.set(route.pattern, route.lane);
    }
    // Longest prefix first so `billing.refund.*` wins over `billing.*`.
    this.prefixes = prefixes.sort((a, b) => b[0].length - a[0].length);
  }

  laneFor(type: string, priority?: Lane): Lane {
    if (priority) return priority;
    const exact = this.exact.get(type);
    if (exact) return exact;
    for (const [prefix, lane] of this.prefixes) if (type.startsWith(prefix)) return lane;
    return 'normal';
  }
}
