import { Body, Controller, Delete, Get, HttpCode, Put, Query, UseGuards, UsePipes, ValidationPipe } from '@nestjs/common';
import { SandboxAdminGuard } from '../registered-apps/index.js';
import { FaultSettingsDto } from './fault-settings.dto.js';
import { FaultsService } from './faults.service.js';

/** Admin JSON API: fault injection per endpoint. */
@Controller('admin/faults')
@UseGuards(SandboxAdminGuard)
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
export class FaultsAdminController {
  constructor(private readonly faults: FaultsService) {}

  /** The configured faults with how many of each were injected so far. */
  @Get()
  list() {
    return this.faults.list();
  }

  @Put()
  set(@Body() settings: FaultSettingsDto) {
    this.faults.set(settings);
    return this.faults.list();
  }

  /** Clears one endpoint's faults (`?endpoint=/stg/api/measurement`) or, without it, all. */
  @Delete()
  @HttpCode(204)
  clear(@Query('endpoint') endpoint?: string): void {
    this.faults.clear(typeof endpoint === 'string' ? endpoint : undefined);
  }
}
