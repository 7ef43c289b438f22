import { Injectable, Logger, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import type { Observable } from 'rxjs';
import { roleHas, type PortalRequest } from '@opendsp/admin-auth';
import { AlertList } from '../alert-list.service.js';

/** The highest count the badge shows; beyond it says "99+" (and the statement stops counting). */
const NAV_COUNT_CAP = 99;

/**
 * The open-alert count on the navigation's Alerts item, for every portal page a signed-in admin who may see alerts
 * opens: what they may see (a group admin their groups' alerts, everyone else all). It is counted only when the
 * response renders a page (redirects and the REST API pay nothing), in one statement (`AlertList.openCountForAdmin`,
 * which stops at 100). On a GET, which mostly renders a page, the count starts with the request and runs beside the
 * page's own reads instead of after them (a GET download pays the one index-only statement); a form's answer counts
 * only if it renders. A failed count leaves the badge out rather than failing the page.
 */
@Injectable()
export class OpenAlertsCountInterceptor implements NestInterceptor {
  private readonly logger = new Logger(OpenAlertsCountInterceptor.name);

  constructor(private readonly list: AlertList) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<Partial<PortalRequest>>();
    const user = req.portal?.user;
    if (!user || !roleHas(user.role, 'participants.view')) return next.handle();
    const res = context.switchToHttp().getResponse<Response>();
    const count = () => this.countFor(user.role === 'group-admin' ? user.id : null);
    const counting = req.method === 'GET' ? count() : undefined;
    const render = res.render.bind(res);
    res.render = ((view: string, options?: object, callback?: (error: Error, html: string) => void) => {
      void (counting ?? count()).then((badge) => {
        if (badge !== undefined) res.locals.openAlerts = badge;
        render(view, options, callback);
      });
    }) as Response['render'];
    return next.handle();
  }

  /** The badge's text, or undefined (no badge) when the count failed; never rejects. */
  private async countFor(groupAdminId: string | null): Promise<number | string | undefined> {
    try {
      const count = await this.list.openCountForAdmin(groupAdminId, NAV_COUNT_CAP);
      return count > NAV_COUNT_CAP ? `${NAV_COUNT_CAP}+` : count;
    } catch (error) {
      this.logger.warn({ err: error }, 'open-alert count failed; the page is shown without it');
      return undefined;
    }
  }
}
