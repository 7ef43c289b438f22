import { Get, NotFoundException, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { EntityManager } from '@mikro-orm/postgresql';
import { Access, actorOf, PortalController, redirectTo, renderPage, type PortalRequest } from '@opendsp/admin-auth';
import { AuditLog } from '@opendsp/audit';
import { SyncStatusService } from '@opendsp/sync';
import { DataScope } from '../data-scope.service.js';

const ROWS = 100;
const NOTICES = ['dead_letter_retried'] as const;

/** The sync page: jobs in flight, recent failures with their reason, dead letters with "retry", notification inbox. */
@PortalController('sync')
export class SyncPortalController {
  constructor(
    private readonly em: EntityManager,
    private readonly scope: DataScope,
    private readonly audit: AuditLog,
    private readonly sync: SyncStatusService,
  ) {}

  @Get()
  @Access('sync.view')
  async status(@Req() req: PortalRequest, @Res() res: Response, @Query('notice') notice?: unknown): Promise<void> {
    const scope = await this.scope.of(this.em.fork(), req.portal.user!);
    const [overview, jobs, failures, deadLetters] = await Promise.all([
      this.sync.overview(scope),
      this.sync.jobsInFlight(scope, ROWS),
      this.sync.recentFailures(scope, ROWS),
      this.sync.deadLetters(scope, ROWS),
    ]);
    renderPage(res, 'data/sync', {
      title: 'sync.title',
      overview,
      jobs: jobs.map((job) => ({ ...job, kindKey: job.kind ? `kind.${job.kind}` : null, stateKey: `sync.job_state_${job.state}` })),
      failures: failures.map((row) => ({ ...row, kindKey: row.kind ? `kind.${row.kind}` : null })),
      deadLetters: deadLetters.map((row) => ({ ...row, kindKey: row.kind ? `kind.${row.kind}` : null })),
      notice: typeof notice === 'string' && (NOTICES as readonly string[]).includes(notice) ? `notice.${notice}` : undefined,
    });
  }

  @Post('dead-letters/:deadLetterId/retry')
  @Access('sync.run')
  async retry(@Req() req: PortalRequest, @Res() res: Response, @Param('deadLetterId') deadLetterId: string): Promise<void> {
    const outcome = await this.em.fork().transactional(async (em) => {
      const scope = await this.scope.of(em, req.portal.user!);
      const result = await this.sync.retryDeadLetter(em, scope, deadLetterId.slice(0, 200), actorOf(req));
      if (result === 'retried') {
        this.audit.record(em, { action: 'sync.dead_letter_retried', actor: actorOf(req), target: { type: 'sync_job', id: deadLetterId } });
      }
      return result;
    });
    if (outcome === 'not_found') throw new NotFoundException();
    redirectTo(res, '/sync?notice=dead_letter_retried#dead-letters');
  }
}
