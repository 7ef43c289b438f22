import { Body, Get, Module, Post, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Transform } from 'class-transformer';
import { IsIn, IsNotEmpty, IsOptional } from 'class-validator';
import { EntityManager } from '@mikro-orm/postgresql';
import { Access, actorOf, PortalController, redirectTo, renderPage, type PortalRequest } from '@opendsp/admin-auth';
import { AuditLog } from '@opendsp/audit';
import { trimmed, validateForm, type FieldErrors } from '@opendsp/i18n';
import { MEASUREMENT_KIND_NAMES, type MeasurementKind } from '@opendsp/measurements';
import { looksLikeOgscId, Participant } from '@opendsp/participants';
import { SyncLedger } from './sync-ledger.service.js';
import { SyncScheduling } from './sync-scheduling.service.js';

export class SyncNowForm {
  @Transform(trimmed)
  @IsNotEmpty({ message: 'form.required' })
  ogscId!: string;

  /** Empty: every kind the participant granted. */
  @Transform(trimmed)
  @IsOptional()
  @IsIn(['', ...MEASUREMENT_KIND_NAMES], { message: 'form.invalid' })
  kind: string = '';
}

/**
 * The portal's sync page (minimal): how the sync stands, the pulls that gave up (dead letters), participants
 * whose sync has problems, and "sync now" for one participant. The richer per-participant views read the
 * same SyncLedger.
 */
@PortalController('sync')
export class SyncPortalController {
  constructor(
    private readonly ledger: SyncLedger,
    private readonly scheduling: SyncScheduling,
    private readonly audit: AuditLog,
    private readonly em: EntityManager,
  ) {}

  @Get()
  @Access('sync.view')
  async overview(@Res() res: Response, @Query('notice') notice?: string): Promise<void> {
    await this.render(res, { notice: notice === 'sync_requested' ? 'notice.sync_requested' : undefined });
  }

  @Post('sync-now')
  @Access('sync.run')
  async syncNow(@Req() req: PortalRequest, @Res() res: Response, @Body() body: unknown): Promise<void> {
    const form = await validateForm(SyncNowForm, body);
    if (!form.ok) return this.render(res, { values: body, errors: form.errors }, 422);
    const participant = looksLikeOgscId(form.value.ogscId)
      ? await this.em.fork().findOne(Participant, { ogscId: form.value.ogscId }, { fields: ['id', 'ogscId'] })
      : null;
    if (!participant) return this.render(res, { values: body, errors: { ogscId: 'sync.unknown_participant' } }, 422);
    const kind = (form.value.kind || undefined) as MeasurementKind | undefined;
    const kinds = await this.scheduling.syncNow(participant.id, kind);
    if (kinds.length === 0) return this.render(res, { values: body, errors: { ogscId: 'sync.not_connected' } }, 422);
    await this.audit.recordNow({
      action: 'sync.requested',
      actor: actorOf(req),
      target: { type: 'participant', id: participant.ogscId },
      detail: { kinds },
    });
    redirectTo(res, '/sync?notice=sync_requested');
  }

  private async render(res: Response, extra: { notice?: string; values?: unknown; errors?: FieldErrors }, status = 200): Promise<void> {
    const [overview, deadLetters, problems] = await Promise.all([
      this.ledger.overview(),
      this.ledger.deadLetters({ limit: 50 }),
      this.ledger.problems({ limit: 50 }),
    ]);
    renderPage(
      res,
      'sync/overview',
      {
        title: 'sync.title',
        overview,
        deadLetters,
        problems,
        kinds: MEASUREMENT_KIND_NAMES,
        values: extra.values ?? {},
        errors: extra.errors,
        notice: extra.notice,
      },
      status,
    );
  }
}

/** The sync page, for the portal (web roles). */
@Module({ controllers: [SyncPortalController] })
export class SyncPortalModule {}
