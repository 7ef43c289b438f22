import { Injectable } from '@nestjs/common';

/**
 * The sandbox's idea of "now". An admin may move it forward or back (`PUT /admin/clock`), so tests can let
 * hours of token lifetimes pass in seconds and give the emulated OMRON a clock that differs from the
 * platform's. Token issue and expiry checks read it; nothing else does.
 */
@Injectable()
export class SandboxClock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  get offsetSeconds(): number {
    return this.offsetMs / 1000;
  }

  setOffsetSeconds(seconds: number): void {
    this.offsetMs = seconds * 1000;
  }
}
