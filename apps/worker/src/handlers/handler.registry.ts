import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { SPILLWAY_CONFIG, SpillwayConfig } from '@spillway/config';
import { EventHandler, HANDLES_EVENTS } from './event-handler';

export class HandlerSetupError extends Error {}

/**
 * Finds `@HandlesEvents` providers at start and refuses to start when a pattern has two handlers
 * or a routed type has none: better a failed deploy than events piling up in a dead-letter queue.
 */
@Injectable()
export class HandlerRegistry implements OnModuleInit {
  private readonly exact = new Map<string, EventHandler>();
  private prefixes: Array<[string, EventHandler]> = [];
  private fallback?: EventHandler;

  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(SPILLWAY_CONFIG) private readonly config: SpillwayConfig,
  ) {}

  onModuleInit(): void {
    const owners = new Map<string, string>();
    const problems: string[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as EventHandler | undefined;
      if (!instance || !wrapper.metatype) continue;
      const patterns = Reflect.getMetadata(HANDLES_EVENTS, wrapper.metatype) as string[] | undefined;
      if (!patterns) continue;
      const name = wrapper.metatype.name;
      for (const pattern of patterns) {
        const other = owners.get(pattern);
        if (other) {
          problems.push(`event type "${pattern}" is handled by both ${other} and ${name}; keep one`);
          continue;
        }
        owners.set(pattern, name);
        if (pattern === '*') this.fallback = instance;
        else if (pattern.endsWith('.*')) this.prefixes.push([pattern.slice(0, -1), instance]);
        else this.exact.set(pattern, instance);
      }
    }
    this.prefixes.sort((a, b) => b[0].length - a[0].length);
    for (const route of this.config.laneRoutes) {
      const probe = route.pattern.endsWith('.*') ? route.pattern.slice(0, -1) : route.pattern;
      if (!owners.has(route.pattern) && !this.resolve(probe)) {
        problems.push(`event type "${route.pattern}" is routed to lane ${route.lane} (LANE_ROUTES) but no handler handles it`);
      }
    }
    if (owners.size === 0) problems.push('no @HandlesEvents handler is registered');
    if (problems.length) throw new HandlerSetupError(`worker cannot start:\n  ${problems.join('\n  ')}`);
  }

  resolve(type: string): EventHandler | undefined {
    const exact = this.exact.get(type);
    if (exact) return exact;
    for (const [prefix, handler] of this.prefixes) if (type.startsWith(prefix)) return handler;
    return this.fallback;
  }
}
