import { Injectable, Logger, NotFoundException, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { Response } from 'express';
import { from, switchMap, type Observable } from 'rxjs';
import type { PortalRequest } from '@opendsp/admin-auth';
import { GroupsService } from '@opendsp/groups';
import { ConsentLinks } from '../consent-links/consent-links.service.js';
import { ParticipantDirectory } from '../directory/participant-directory.service.js';

/** The routes that render the group details page (the page itself, and its form re-rendered with errors). */
const DETAILS_ROUTES = new Set(['GET /groups/:groupId', 'POST /groups/:groupId/redirect-urls']);

/**
 * Adds the consent-link panel and the enrollment counts to the group details page (rendered by the groups
 * room) through `res.locals.consentPanel`, so the groups room needs no knowledge of participants. An
 * interceptor, so it runs after the guards: the admin is signed in and allowed, and the group is checked
 * for visibility again here; when it is not visible nothing is added and the page answers 404 itself.
 */
@Injectable()
export class GroupDetailsPanelInterceptor implements NestInterceptor {
  private readonly logger = new Logger(GroupDetailsPanelInterceptor.name);

  constructor(
    private readonly groups: GroupsService,
    private readonly links: ConsentLinks,
    private readonly directory: ParticipantDirectory,
    private readonly em: EntityManager,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<PortalRequest>();
    const route = (req.route as { path?: string } | undefined)?.path;
    if (!req.portal?.user || !DETAILS_ROUTES.has(`${req.method} ${route}`)) return next.handle();
    return from(this.prepare(req, context.switchToHttp().getResponse<Response>())).pipe(switchMap(() => next.handle()));
  }

  private async prepare(req: PortalRequest, res: Response): Promise<void> {
    const groupId = String(req.params.groupId ?? '');
    try {
      const group = await this.groups.visibleGroup(this.em.fork(), req.portal.user!, groupId);
      const { funnel } = await this.directory.funnel(group.groupId);
      const links = (await this.links.forGroup(group)).map((link) => ({
        ...link,
        query: new URLSearchParams({ redirect_url: link.redirectUrl }).toString(),
      }));
      res.locals.consentPanel = { links, funnel };
    } catch (error) {
      // Not visible or not a group: the handler answers 404 itself. Anything else must not break the page.
      if (!(error instanceof NotFoundException)) this.logger.error({ err: error, groupId }, 'consent panel could not be prepared');
    }
  }
}
