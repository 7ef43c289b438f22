import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, UseGuards, UsePipes, ValidationPipe } from '@nestjs/common';
import { CreateRegisteredAppDto, UpdateRegisteredAppDto } from './dto/registered-app.dto.js';
import { RegisteredApps } from './registered-apps.service.js';
import { SandboxAdminGuard } from './sandbox-admin.guard.js';

/** Admin JSON API for registered apps: what OMRON's partner sign-up would set up. */
@Controller('admin/registered-apps')
@UseGuards(SandboxAdminGuard)
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
export class RegisteredAppsAdminController {
  constructor(private readonly apps: RegisteredApps) {}

  @Get()
  list() {
    return this.apps.list();
  }

  @Get(':clientId')
  get(@Param('clientId') clientId: string) {
    return this.apps.get(clientId);
  }

  /** 201 with the app and its client secret, shown only here. */
  @Post()
  create(@Body() body: CreateRegisteredAppDto) {
    return this.apps.create(body);
  }

  @Patch(':clientId')
  update(@Param('clientId') clientId: string, @Body() body: UpdateRegisteredAppDto) {
    return this.apps.update(clientId, body);
  }

  @Post(':clientId/secret')
  @HttpCode(200)
  rotateSecret(@Param('clientId') clientId: string) {
    return this.apps.rotateSecret(clientId);
  }

  @Delete(':clientId')
  @HttpCode(204)
  async remove(@Param('clientId') clientId: string): Promise<void> {
    await this.apps.remove(clientId);
  }
}
