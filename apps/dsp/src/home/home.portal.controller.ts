import { Get, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { EntityManager } from '@mikro-orm/postgresql';
import { Access, AdminAccount, PortalController, renderPage, roleHas, type PortalRequest } from '@opendsp/admin-auth';
import { GroupsService, ProgramGroup } from '@opendsp/groups';

/** The dashboard (the front page once signed in) and the read-only environment page. */
@PortalController()
export class HomePortalController {
  constructor(
    private readonly em: EntityManager,
    private readonly groups: GroupsService,
  ) {}

  @Get()
  @Access('dashboard.view')
  async dashboard(@Req() req: PortalRequest, @Res() res: Response): Promise<void> {
    const user = req.portal.user!;
    const em = this.em.fork();
    const activeGroups =
      user.role === 'group-admin'
        ? (await this.groups.groupsOfAdmin(user.id)).filter((group) => !group.archivedAt).length
        : await em.count(ProgramGroup, { archivedAt: null });
    const admins = roleHas(user.role, 'admins.manage') ? await em.count(AdminAccount, { disabledAt: null }) : 0;
    renderPage(res, 'home', { title: 'dashboard.title', activeGroups, admins });
  }

  @Get('environment')
  @Access('environment.view')
  environment(@Res() res: Response): void {
    // The layout's locals carry DspConfig.environment already; this page only lays it out.
    renderPage(res, 'environment', { title: 'environment.title' });
  }
}
