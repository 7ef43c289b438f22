import { createHash, timingSafeEqual } from 'node:crypto';
import { Controller, Logger, Optional, Post, Req, Res, type OnModuleDestroy } from '@nestjs/common';
import type { Request, Response } from 'express';
import { SkipCsrf } from '@opendsp/admin-auth';
import { DspConfig } from '@opendsp/config';
import { ipv4Matcher, SharedRateLimiter } from '@opendsp/web-security';
import { rawNotificationBodyOf } from './notification-body.middleware.js';
import { InboxDispatcher } from './inbox-dispatcher.service.js';
import { NotificationInbox } from './notification-inbox.service.js';
import { readNotificationBody } from './notification-reader.parser.js';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * The Notification URI (Partner API spec: "The URI to which user update notifications will be sent"). The spec's
 * section on the body is missing from our copy, so bodies are read tolerantly (`readNotificationBody`): JSON or
 * form, one object or an array, the user under `id`/`userId`/`user_id`/`sub`. This answers 202 as soon as the
 * notifications are safely in the inbox, and a worker turns them into pulls. A body that cannot be mapped is kept
 * as unrecognised and answered 202 too: OMRON cannot fix it by retrying, and nothing is silently dropped.
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
    /** Present when this process also runs the worker role: it dispatches at once instead of on its next tick. */
    @Optional() private readonly dispatcher?: InboxDispatcher,
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
    const raw = rawNotificationBodyOf(req);
    const reading = raw.parsed ? readNotificationBody(req.body) : ({ ok: false, reason: 'not valid JSON' } as const);
    try {
      if (!reading.ok) {
        await this.inbox.recordUnrecognised(raw.text, reading.reason);
        this.logger.warn(`notification body not recognised (${reading.reason}); kept for review`);
        return answer(202, { received: true, recognised: false, reason: reading.reason });
      }
      // Types this platform does not sync were left out by the reader: nothing to do, nothing for OMRON to retry.
      for (const notification of reading.notifications) {
        const outcome = await this.inbox.record(notification, raw.text);
        if (outcome === 'unknown-user') this.logger.debug('notification about a user who is not a participant ignored');
      }
      answer(202, { received: true });
      this.dispatcher?.runSoon();
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
