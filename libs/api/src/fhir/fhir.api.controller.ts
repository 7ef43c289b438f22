import { applyDecorators, Controller, Get, HttpStatus, Param, Query, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExtraModels, ApiOperation, ApiParam, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Response } from 'express';
import { SkipCsrf } from '@opendsp/admin-auth';
import type { ApiPrincipal } from '../auth/api-principal.types.js';
import { ApiAuthGuard } from '../auth/api-auth.guard.js';
import { Principal } from '../auth/principal.decorator.js';
import { RequiresScope } from '../auth/requires-scope.decorator.js';
import { API_PREFIX } from '../controllers/api-docs.decorators.js';
import { FhirApiService, type SearchsetBundle } from './fhir-api.service.js';
import { FhirBundleDto, FhirObservationDto, FhirOperationOutcomeDto, ObservationSearchQuery } from './fhir.dto.js';
import type { Observation } from './fhir-observations.helpers.js';
import { FHIR_JSON, FhirOutcomeFilter } from './fhir-outcome.filter.js';

const outcome = (status: number, description: string) =>
  ApiResponse({ status, description, content: { [FHIR_JSON]: { schema: { $ref: getSchemaPath(FhirOperationOutcomeDto) } } } });

const OUTCOME_NOT_FOUND = outcome(
  HttpStatus.NOT_FOUND,
  'No such participant, or not one this client may see (`participant_not_found`): the two are indistinguishable on purpose.',
);

/** The FHIR controller's documented answers: the REST API's, as OperationOutcome. */
function FhirV1Controller(): ClassDecorator {
  return applyDecorators(
    Controller(`${API_PREFIX}/participants`),
    SkipCsrf(),
    UseGuards(ApiAuthGuard),
    UseFilters(FhirOutcomeFilter),
    ApiTags('FHIR'),
    ApiExtraModels(FhirBundleDto, FhirObservationDto, FhirOperationOutcomeDto),
    outcome(HttpStatus.BAD_REQUEST, 'A search parameter is invalid (`validation_failed`); one issue per parameter at fault.'),
    outcome(HttpStatus.UNAUTHORIZED, 'No valid bearer token (`invalid_token`).'),
    outcome(
      HttpStatus.FORBIDDEN,
      'The token lacks the scope (`insufficient_scope`), or the address is not allowed (`source_not_allowed`).',
    ),
    outcome(
      HttpStatus.TOO_MANY_REQUESTS,
      'The client used up its requests for the minute (`rate_limited`); retry after `Retry-After` seconds.',
    ),
  ) as ClassDecorator;
}

/** FHIR R4 read access to a participant's readings (docs/api.md, "FHIR R4"). */
@FhirV1Controller()
export class FhirApiController {
  constructor(private readonly fhir: FhirApiService) {}

  @Get(':ogscId/fhir/Observation')
  @RequiresScope('measurements:read')
  @ApiParam({ name: 'ogscId', description: 'The OGSC ID.', example: 'OG-7K2M9QX4TR1B5ZW8HD3NCAE6' })
  @ApiOperation({
    operationId: 'searchObservations',
    summary: "A participant's readings as FHIR R4 Observations (Vital Signs profile), a searchset Bundle in time order",
    description:
      'Same access as `listMeasurements`: empty for a participant who has not consented (or has withdrawn) in any group this client may see. ' +
      "Pages follow the Bundle's `next` link. Errors are FHIR OperationOutcome resources.",
  })
  @ApiResponse({
    status: HttpStatus.OK,
    description: 'Success.',
    content: { [FHIR_JSON]: { schema: { $ref: getSchemaPath(FhirBundleDto) } } },
  })
  @OUTCOME_NOT_FOUND
  async searchObservations(
    @Principal() principal: ApiPrincipal,
    @Param('ogscId') ogscId: string,
    @Query() query: ObservationSearchQuery,
    @Res({ passthrough: true }) res: Response,
  ): Promise<SearchsetBundle> {
    const bundle = await this.fhir.searchObservations(principal, ogscId, {
      date: query.date,
      code: query.code,
      count: query._count,
      cursor: query._cursor,
    });
    res.type(FHIR_JSON);
    return bundle;
  }

  @Get(':ogscId/fhir/Observation/:id')
  @RequiresScope('measurements:read')
  @ApiParam({ name: 'ogscId', description: 'The OGSC ID.', example: 'OG-7K2M9QX4TR1B5ZW8HD3NCAE6' })
  @ApiParam({
    name: 'id',
    description: "The Observation's id (a Bundle entry's `fullUrl` ends with it).",
    example: 'OG-7K2M9QX4TR1B5ZW8HD3NCAE6-bp-3127001',
  })
  @ApiOperation({ operationId: 'readObservation', summary: 'One Observation of a participant, by its id' })
  @ApiResponse({
    status: HttpStatus.OK,
    description: 'Success.',
    content: { [FHIR_JSON]: { schema: { $ref: getSchemaPath(FhirObservationDto) } } },
  })
  @outcome(
    HttpStatus.NOT_FOUND,
    'No such participant visible to this client (`participant_not_found`), or no such Observation of theirs (`not_found`).',
  )
  async readObservation(
    @Principal() principal: ApiPrincipal,
    @Param('ogscId') ogscId: string,
    @Param('id') id: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Observation> {
    const observation = await this.fhir.readObservation(principal, ogscId, id);
    res.type(FHIR_JSON);
    return observation;
  }
}
