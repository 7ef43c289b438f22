import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, Logger, Post, Req, Res, type OnModuleDestroy } from '@nestjs/common';
import type { Request, Response } from 'express';
import { SkipCsrf } from '@opendsp/admin-auth';
import { DspConfig } from '@opendsp/config';
import { isMeasurementType } from '@opendsp/omron-api';
import { ipv4Matcher, SharedRateLimiter } from '@opendsp/web-security';
import { NotificationInbox, type InboxNotification } from './notification-inbox.js';

/** Parses the notification's `timestamp`: epoch milliseconds (a number or digits), or an ISO 8601 date-time. */
export function parseNotificationTimestamp(value: unknown): Date | null {
  let ms: number;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string' && /^\d{1,16}$/.test(value.trim())) ms = Number(value.trim());
  else if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value.trim())) ms = Date.parse(value.trim());
  else return null;
  // Whole milliseconds after 2000 and before 2200: anything else is not a notification time.
  return Number.isInteger(ms) && ms >= 946_684_800_000 && ms < 7_258_118_400_000 ? new Date(ms) : null;
}

/** `{id, timestamp, type}` checked; a string naming the problem otherwise. */
export function parseNotification(body: unknown): InboxNotification | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body must be an object with id, timestamp and type';
  const { id, timestamp, type } = body as Record<string, unknown>;
  if (typeof id !== 'string' || id.trim() === '' || id.length > 200) return 'id must be the OMRON user id';
  if (typeof type !== 'string' || type.trim() === '' || type.length > 50) return 'type must be a measurement type';
  const notifiedAt = parseNotificationTimestamp(timestamp);
  if (!notifiedAt) return 'timestamp must be epoch milliseconds or an ISO 8601 date-time';
  return { omronUserId: id.trim(), type: type.trim(), notifiedAt };
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * The Notification URI (Partner API spec: "The URI to which user update notifications will be sent"). OMRON
 * POSTs `{id, timestamp, type}` when a user's readings change; this answers 202 as soon as the notification
 * is safely in the inbox (one INSERT), and a worker turns it into a pull.
 *
 * Machine-facing: no cookies, no CSRF, outside the admin IP allowlist. It protects itself: a source-address
 * allowlist and a shared secret (settings; production refuses to start with neither unless
 * NOTIFICATION_AUTH=none), a per-address rate limit shared by every web process, a small body limit
 * (`notificationBodyReader`), and an inbox that holds at most one waiting notification per user and type, so
 * a flood costs at most one pull. Duplicates and notifications about unknown users are acknowledged like any
 * other, so OMRON stops retrying and learns nothing about who is enrolled. Answers are always JSON.
 */
@Controller('omron/notifications')
@SkipCsrf()
export class NotificationsController implements OnModuleDestroy {
  private readonly logger = new Logger(NotificationsController.name);
  private readonly limiter: SharedRateLimiter;
  private readonly allowedSource: ((address: string | undefined) => boolean) | null;
  private readonly secret: Buffer | null;

  constructor(
    private readonly inbox: NotificationInbox,
    config: DspConfig,
  ) {
    const settings = config.notifications;
    this.limiter = new SharedRateLimiter(config.database.url, {
      keyPrefix: 'notification',
      points: settings.rateLimitPerMinute,
      durationSeconds: 60,
    });
    this.allowedSource = settings.allowedSourceIps.length > 0 ? ipv4Matcher(settings.allowedSourceIps) : null;
    this.secret = settings.sharedSecret ? digest(settings.sharedSecret) : null;
  }

  @Post()
  async receive(@Req() req: Request, @Res() res: Response): Promise<void> {
    const answer = (status: number, body: Record<string, unknown>): void => void res.status(status).json(body);
    if (this.allowedSource && !this.allowedSource(req.ip)) {
      this.logger.warn({ ip: req.ip }, 'notification from an address outside NOTIFICATION_ALLOWED_SOURCE_IPS refused');
      return answer(403, { statusCode: 403, message: 'This address may not send notifications' });
    }
    const rate = await this.limiter.consume(req.ip ?? 'unknown');
    if (!rate.allowed) {
      res.set('Retry-After', String(rate.retryAfterSeconds));
      return answer(429, { statusCode: 429, message: 'Too many notifications; retry later' });
    }
    if (this.secret && !this.authenticated(req)) {
      this.logger.warn({ ip: req.ip }, 'notification without the shared secret refused');
      return answer(401, { statusCode: 401, message: 'The notification does not carry the shared secret' });
    }
    const notification = parseNotification(req.body);
    if (typeof notification === 'string') return answer(400, { statusCode: 400, message: notification });
    if (!isMeasurementType(notification.type)) {
      // A kind of notification this platform does not sync: nothing to do, and nothing for OMRON to retry.
      return answer(202, { received: true });
    }
    try {
      const outcome = await this.inbox.record(notification);
      if (outcome === 'unknown-user') this.logger.debug('notification about a user who is not a participant ignored');
      answer(202, { received: true });
    } catch (error) {
      // Not recorded: say so, and OMRON sends it again later.
      this.logger.error({ err: error }, 'notification could not be recorded');
      answer(503, { statusCode: 503, message: 'The notification could not be recorded; retry later' });
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.limiter.close();
  }

  private authenticated(req: Request): boolean {
    const header = req.get('authorization');
    const bearer = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
    const query = typeof req.query.secret === 'string' ? req.query.secret : undefined;
    const given = bearer ?? query;
    return given !== undefined && timingSafeEqual(digest(given), this.secret!);
  }
}
