import { Injectable } from '@nestjs/common';

/** The absorber's time: `now` for ids and idempotency windows, `iso` for each event's `receivedAt`. */
@Injectable()
export class Clock {
  /** The ISO text of the last millisecond asked for: thousands of requests a second share a handful. */
  private isoMs = -1;
  private isoText = '';

  now(): number {
    return Date.now();
  }

  iso(ms: number): string {
    if (ms !== this.isoMs) {
      this.isoMs = ms;
      this.isoText = new Date(ms).toISOString();
    }
    return this.isoText;
  }
}
