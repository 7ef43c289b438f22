import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { SandboxAdminGuard } from '../registered-apps/index.js';
import { Notification } from './notification.entity.js';

/** Admin JSON API: what the sandbox sent (or is still trying to send) to the apps. */
@Controller('admin/notifications')
@UseGuards(SandboxAdminGuard)
export class NotificationsAdminController {
  constructor(private readonly em: EntityManager) {}

  /** The latest 200 notifications, newest first; `clientId` and `userId` narrow them. */
  @Get()
  async list(@Query('clientId') clientId?: string, @Query('userId') userId?: string) {
    if (userId !== undefined && (typeof userId !== 'string' || !/^[0-9a-f-]{36}$/i.test(userId))) return [];
    const rows = await this.em.fork().find(
      Notification,
      {
        ...(typeof clientId === 'string' ? { clientId } : {}),
        ...(typeof userId === 'string' ? { user: userId } : {}),
      },
      { orderBy: { createdAt: 'desc' }, limit: 200 },
    );
    return rows.map((row) => ({
      id: row.id,
      clientId: row.clientId,
      uri: row.uri,
      payload: row.payload,
      attempts: row.attempts,
      status: row.deliveredAt ? 'delivered' : row.gaveUpAt ? 'given-up' : 'pending',
      nextAttemptAt: row.nextAttemptAt,
      deliveredAt: row.deliveredAt,
      lastStatus: row.lastStatus,
      lastError: row.lastError,
      createdAt: row.createdAt,
    }));
  }
}
