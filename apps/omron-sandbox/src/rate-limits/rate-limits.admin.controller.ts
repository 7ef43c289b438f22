import { Body, Controller, Delete, Get, HttpCode, Param, Put, UseGuards, UsePipes, ValidationPipe } from '@nestjs/common';
import { IsInt, Max, Min } from 'class-validator';
import { SandboxAdminGuard } from '../registered-apps/index.js';
import { ClientRateLimits } from './client-rate-limits.service.js';

export class RateLimitOverrideDto {
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  requestsPerMinute!: number;
}

/** Admin JSON API: per-client measurement-API rate limits. */
@Controller('admin/rate-limits')
@UseGuards(SandboxAdminGuard)
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
export class RateLimitsAdminController {
  constructor(private readonly limits: ClientRateLimits) {}

  @Get()
  list() {
    return this.limits.describe();
  }

  @Put(':clientId')
  set(@Param('clientId') clientId: string, @Body() body: RateLimitOverrideDto) {
    this.limits.setOverride(clientId, body.requestsPerMinute);
    return this.limits.describe();
  }

  @Delete(':clientId')
  @HttpCode(204)
  reset(@Param('clientId') clientId: string): void {
    this.limits.setOverride(clientId, null);
  }
}
