import { Get, Query } from '@nestjs/common';
import { ApiExtraModels } from '@nestjs/swagger';
import type { ApiPrincipal } from '../auth/api-principal.types.js';
import { Principal } from '../auth/principal.decorator.js';
import { RequiresScope } from '../auth/requires-scope.decorator.js';
import { ReadingsApiService } from '../data/readings-api.service.js';
import { ChangeFeedPageDto, ChangesQuery, READING_DTOS } from '../dto/readings.dto.js';
import { ApiOperationOk, ApiV1Controller } from './api-docs.decorators.js';

@ApiV1Controller('changes', 'Change feed')
@ApiExtraModels(...Object.values(READING_DTOS))
export class ChangesApiController {
  constructor(private readonly readings: ReadingsApiService) {}

  @Get()
  @RequiresScope('measurements:read')
  @ApiOperationOk(
    'listChanges',
    'Readings created or changed after a change sequence number, across everything this client may read',
    ChangeFeedPageDto,
    {
      description:
        'Start with `since=0`, then send the `nextSince` of each answer. Readings come in `changeSeq` order and none is ever skipped, ' +
        'even while syncs commit concurrently; a reading that changes comes again with a new `changeSeq`. When `hasMore` is false you ' +
        'have everything committed so far: poll again later with the same `nextSince`.',
    },
  )
  changes(@Principal() principal: ApiPrincipal, @Query() query: ChangesQuery): Promise<ChangeFeedPageDto> {
    return this.readings.changes(principal, query);
  }
}
