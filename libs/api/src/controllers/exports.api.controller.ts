import { Get, HttpStatus, Ip, Logger, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import { sendExport } from '@opendsp/exports';
import type { ApiPrincipal } from '../auth/api-principal.types.js';
import { Principal } from '../auth/principal.decorator.js';
import { RequiresScope } from '../auth/requires-scope.decorator.js';
import { ExportsApiService } from '../data/exports-api.service.js';
import { ExportQuery } from '../dto/exports.dto.js';
import { ApiProblemResponse, ApiV1Controller } from './api-docs.decorators.js';

const FILE = { schema: { type: 'string', format: 'binary' } } as const;

@ApiV1Controller('exports', 'Exports')
export class ExportsApiController {
  private readonly logger = new Logger(ExportsApiController.name);

  constructor(private readonly exports: ExportsApiService) {}

  @Get()
  @RequiresScope('exports:read')
  @ApiOperation({
    operationId: 'downloadExport',
    summary: "The portal's CSV download: one kind as a CSV file, several as a zip, streamed",
    description:
      "The same columns, file names and options as the portal's download (docs/exports.md). A failure after the first byte cuts the connection, so a " +
      'short file is never taken for a whole one.',
  })
  @ApiResponse({
    status: HttpStatus.OK,
    description: 'The file (`Content-Disposition: attachment; filename="…"`).',
    content: { 'text/csv': FILE, 'application/zip': FILE },
  })
  @ApiProblemResponse(HttpStatus.NOT_FOUND, 'No such group, or not one this client may see (`group_not_found`).')
  @ApiProblemResponse(HttpStatus.CONFLICT, "CSV is not one of this environment's data transfer methods (`csv_not_enabled`).")
  async download(@Principal() principal: ApiPrincipal, @Query() query: ExportQuery, @Ip() ip: string, @Res() res: Response): Promise<void> {
    const prepared = await this.exports.prepare(principal, query, ip);
    await sendExport(res, prepared, (error) =>
      this.logger.error({ err: error, groupId: query.groupId }, 'API export failed while streaming'),
    );
  }
}
