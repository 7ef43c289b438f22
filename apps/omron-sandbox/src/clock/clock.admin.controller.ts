import { Body, Controller, Get, Put, UseGuards, UsePipes, ValidationPipe } from '@nestjs/common';
import { IsNumber, Max, Min } from 'class-validator';
import { SandboxAdminGuard } from '../registered-apps/sandbox-admin.guard.js';
import { SandboxClock } from './sandbox-clock.js';

class ClockOffsetDto {
  /** Seconds the sandbox's clock runs ahead of (positive) or behind (negative) real time; at most a year. */
  @IsNumber()
  @Min(-31_536_000)
  @Max(31_536_000)
  offsetSeconds!: number;
}

/** Admin JSON API: read or move the sandbox's clock. */
@Controller('admin/clock')
@UseGuards(SandboxAdminGuard)
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
export class ClockAdminController {
  constructor(private readonly clock: SandboxClock) {}

  @Get()
  get() {
    return { now: this.clock.now().toISOString(), offsetSeconds: this.clock.offsetSeconds };
  }

  @Put()
  set(@Body() body: ClockOffsetDto) {
    this.clock.setOffsetSeconds(body.offsetSeconds);
    return this.get();
  }
}
