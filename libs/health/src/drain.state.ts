import { Injectable } from '@nestjs/common';

/** Flipped once at the start of shutdown; readiness fails from then on. */
@Injectable()
export class DrainState {
  private draining = false;

  get isDraining(): boolean {
    return this.draining;
  }

  startDraining(): void {
    this.draining = true;
  }
}
