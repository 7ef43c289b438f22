import { Get, HttpStatus, Param, Query } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import type { ApiPrincipal } from '../auth/api-principal.types.js';
import { Principal } from '../auth/principal.decorator.js';
import { RequiresScope } from '../auth/requires-scope.decorator.js';
import { AdherenceApiService } from '../data/adherence-api.service.js';
import { AdherencePageDto, AdherenceQuery } from '../dto/adherence.dto.js';
import { ApiOperationOk, ApiProblemResponse, ApiV1Controller } from './api-docs.decorators.js';

@ApiV1Controller('groups', 'Insights')
export class AdherenceApiController {
  constructor(private readonly adherence: AdherenceApiService) {}

  @Get(':groupId/adherence')
  @RequiresScope('insights:read')
  @ApiParam({ name: 'groupId', description: 'The public group ID.', example: 'G7K2M9QX4TR1' })
  @ApiProblemResponse(HttpStatus.NOT_FOUND, 'No such group, or not one this client may see (`group_not_found`).')
  @ApiOperationOk(
    'listAdherence',
    "Remote-monitoring adherence of the group's consented participants: days with readings in the current period against the 16-day threshold (CPT 99454), ordered by days still needed",
    AdherencePageDto,
  )
  list(@Principal() principal: ApiPrincipal, @Param('groupId') groupId: string, @Query() query: AdherenceQuery): Promise<AdherencePageDto> {
    return this.adherence.page(principal, groupId, query);
  }
}
