import { Injectable } from '@nestjs/common';

/** The current time, as a provider so tests can simulate hours passing without waiting for them. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
