import { Injectable, NotFoundException } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { PortalUser } from '@opendsp/admin-auth';
import { AuditLog, type AuditActor } from '@opendsp/audit';
import { DspConfig } from '@opendsp/config';
import { GroupsService, ProgramGroup } from '@opendsp/groups';
import type { FieldErrors } from '@opendsp/i18n';
import type { DownloadForm } from '../dto/export-forms.dto.js';
import { CsvExportService, exportDays, ExportFilterError, type ExportFilterProblem, type PreparedExport } from './csv-export.service.js';

const FILTER_ERRORS: Record<ExportFilterProblem, [field: string, key: string]> = {
  unknown_group: ['groupId', 'exports.group_required'],
  unknown_participants: ['participants', 'exports.participants_unknown'],
  too_many_participants: ['participants', 'exports.too_many_participants'],
  bad_range: ['to', 'exports.range_invalid'],
  no_kinds: ['kinds', 'exports.kinds_required'],
};

export type DownloadOutcome = { ok: true; download: PreparedExport } | { ok: false; errors: FieldErrors; unknownParticipants?: string[] };

/** The portal's CSV download: what an admin may download, and each download checked, prepared and audited. */
@Injectable()
export class CsvDownloads {
  constructor(
    private readonly em: EntityManager,
    private readonly csv: CsvExportService,
    private readonly groups: GroupsService,
    private readonly audit: AuditLog,
    private readonly config: DspConfig,
  ) {}

  /** The groups the admin may download from (archived ones too: their readings stay), by name. */
  async groupChoices(user: PortalUser): Promise<ProgramGroup[]> {
    const em = this.em.fork();
    const where = user.role === 'group-admin' ? { id: { $in: await this.groups.groupIdsOf(em, user.id) } } : {};
    return em.find(ProgramGroup, where, { orderBy: { displayName: 'asc', groupId: 'asc' }, limit: 1000 });
  }

  /**
   * The download the form asks for, in the environment's time zone with the last day included, once the
   * admin may see the group; recorded in the audit log before a byte is written. Or the fields that stop it.
   */
  async prepare(user: PortalUser, form: DownloadForm, actor: AuditActor): Promise<DownloadOutcome> {
    const { groupId, kinds, participants, bom } = form;
    // The last day is included: up to the start of the day after it.
    const days = exportDays(form.from, form.to, this.config.environment.timezone);
    if ('invalid' in days) return { ok: false, errors: { [days.invalid]: 'exports.date_invalid' } };
    const { from, to } = days;
    try {
      await this.groups.visibleGroup(this.em.fork(), user, groupId);
    } catch (error) {
      if (error instanceof NotFoundException) return { ok: false, errors: { groupId: 'exports.group_required' } };
      throw error;
    }
    let download: PreparedExport;
    try {
      download = await this.csv.prepare(kinds, { groupId, participants, from, to }, { bom });
    } catch (error) {
      if (!(error instanceof ExportFilterError)) throw error;
      const [field, key] = FILTER_ERRORS[error.problem];
      return { ok: false, errors: { [field]: key }, unknownParticipants: error.unknown };
    }
    await this.audit.recordNow({
      action: 'export.downloaded',
      actor,
      target: { type: 'group', id: groupId },
      detail: {
        kinds: download.kinds,
        participants: participants.length,
        from: form.from || null,
        to: form.to || null,
        bom,
        fileName: download.fileName,
      },
    });
    return { ok: true, download };
  }
}
