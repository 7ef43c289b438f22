import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuditLog } from '@opendsp/audit';
import { DspConfig } from '@opendsp/config';
import { CsvExportService, exportDays, ExportFilterError, type PreparedExport } from '@opendsp/exports';
import { apiActor, type ApiPrincipal } from '../auth/api-principal.types.js';
import type { ExportQuery } from '../dto/exports.dto.js';
import { ApiProblem } from '../problems/api-problem.exception.js';
import { GroupsApiService } from './groups-api.service.js';

/**
 * The portal's CSV download for API clients: the same CsvExportService, filter and options, for a group the client
 * may see; checked and audited before a byte is written.
 */
@Injectable()
export class ExportsApiService {
  constructor(
    private readonly em: EntityManager,
    private readonly config: DspConfig,
    private readonly groups: GroupsApiService,
    private readonly csv: CsvExportService,
    private readonly audit: AuditLog,
  ) {}

  async prepare(principal: ApiPrincipal, query: ExportQuery, ip: string | undefined): Promise<PreparedExport> {
    if (!this.config.environment.dataTransferMethods.includes('csv')) throw new ApiProblem('csv_not_enabled');
    const days = exportDays(query.from, query.to, this.config.environment.timezone);
    if ('invalid' in days)
      throw ApiProblem.validation([{ field: days.invalid, code: 'invalid_day', message: `${days.invalid} is not a day` }]);
    const { from, to } = days;
    await this.groups.visibleGroup(this.em.fork(), principal, query.groupId);
    let prepared: PreparedExport;
    try {
      prepared = await this.csv.prepare(
        query.kinds,
        { groupId: query.groupId, participants: query.participants, from, to },
        { bom: query.bom },
      );
    } catch (error) {
      if (!(error instanceof ExportFilterError)) throw error;
      throw ApiProblem.validation([filterProblem(error)]);
    }
    await this.audit.recordNow({
      action: 'export.downloaded',
      actor: apiActor(principal, ip),
      target: { type: 'group', id: query.groupId },
      detail: {
        kinds: prepared.kinds,
        participants: query.participants.length,
        from: query.from ?? null,
        to: query.to ?? null,
        bom: query.bom,
        fileName: prepared.fileName,
      },
    });
    return prepared;
  }
}

function filterProblem(error: ExportFilterError): { field: string; code: string; message: string } {
  switch (error.problem) {
    case 'unknown_participants':
      return { field: 'participants', code: 'unknown_participants', message: `Not participants of the group: ${error.unknown.join(', ')}` };
    case 'too_many_participants':
      return { field: 'participants', code: 'too_many_participants', message: 'Too many participants named; export the whole group.' };
    case 'bad_range':
      return { field: 'to', code: 'before_from', message: 'to must not be before from' };
    case 'no_kinds':
      return { field: 'kinds', code: 'required', message: 'Name at least one kind.' };
    case 'unknown_group':
      return { field: 'groupId', code: 'unknown_group', message: 'No such group.' };
  }
}
