import { Injectable } from '@nestjs/common';

/**
 * What a worker still waits for before it consumes (the schema, its lanes); its readiness is
 * down until then. Nothing sets it in the absorber, whose readiness does not look at it.
 */
@Injectable()
export class StartupState {
  private pending: string | undefined = 'starting: lanes not consuming yet';

  get waitingFor(): string | undefined {
    return this.pending;
  }

  waitFor(reason: string): void {
    this.pending = reason;
  }

  started(): void {
    this.pending = undefined;
  }
}
