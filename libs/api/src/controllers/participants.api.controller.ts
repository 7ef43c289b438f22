import { Body, Get, HttpStatus, Ip, Param, Patch, Query } from '@nestjs/common';
import { ApiExtraModels, ApiParam } from '@nestjs/swagger';
import type { ApiPrincipal } from '../auth/api-principal.types.js';
import { Principal } from '../auth/principal.decorator.js';
import { RequiresScope } from '../auth/requires-scope.decorator.js';
import { ParticipantsApiService } from '../data/participants-api.service.js';
import { ReadingsApiService } from '../data/readings-api.service.js';
import {
  DeviceListDto,
  EnrollmentDto,
  ListParticipantsQuery,
  ParticipantDetailDto,
  ParticipantPageDto,
  UpdateEnrollmentBody,
} from '../dto/participants.dto.js';
import { MeasurementPageDto, MeasurementsParams, MeasurementsQuery, READING_DTOS } from '../dto/readings.dto.js';
import { ApiOperationOk, ApiProblemResponse, ApiV1Controller } from './api-docs.decorators.js';

const OGSC_ID_PARAM = ApiParam({ name: 'ogscId', description: 'The OGSC ID.', example: 'OG-7K2M9QX4TR1B5ZW8HD3NCAE6' });
const PARTICIPANT_NOT_FOUND = ApiProblemResponse(
  HttpStatus.NOT_FOUND,
  'No such participant, or not one this client may see (`participant_not_found`): the two are indistinguishable on purpose.',
);

@ApiV1Controller('participants', 'Participants')
@ApiExtraModels(...Object.values(READING_DTOS))
export class ParticipantsApiController {
  constructor(
    private readonly participants: ParticipantsApiService,
    private readonly readings: ReadingsApiService,
  ) {}

  @Get()
  @RequiresScope('participants:read')
  @ApiOperationOk('listParticipants', 'Participants of the groups this client may see, by OGSC ID', ParticipantPageDto)
  list(@Principal() principal: ApiPrincipal, @Query() query: ListParticipantsQuery): Promise<ParticipantPageDto> {
    return this.participants.list(principal, query);
  }

  @Get(':ogscId')
  @RequiresScope('participants:read')
  @OGSC_ID_PARAM
  @PARTICIPANT_NOT_FOUND
  @ApiOperationOk(
    'getParticipant',
    'One participant: enrollments, consent and connection state, internal customer IDs, sync ledger',
    ParticipantDetailDto,
  )
  get(@Principal() principal: ApiPrincipal, @Param('ogscId') ogscId: string): Promise<ParticipantDetailDto> {
    return this.participants.get(principal, ogscId);
  }

  @Get(':ogscId/devices')
  @RequiresScope('participants:read')
  @OGSC_ID_PARAM
  @PARTICIPANT_NOT_FOUND
  @ApiOperationOk('listDevices', "The device types seen in a participant's readings", DeviceListDto)
  devices(@Principal() principal: ApiPrincipal, @Param('ogscId') ogscId: string): Promise<DeviceListDto> {
    return this.participants.devices(principal, ogscId);
  }

  @Get(':ogscId/measurements/:kind')
  @RequiresScope('measurements:read')
  @PARTICIPANT_NOT_FOUND
  @ApiOperationOk('listMeasurements', "A participant's readings of one kind in a time range, in measurement order", MeasurementPageDto, {
    description: 'Empty for a participant who has not consented (or has withdrawn) in any group this client may see.',
  })
  measurements(
    @Principal() principal: ApiPrincipal,
    @Param() params: MeasurementsParams,
    @Query() query: MeasurementsQuery,
  ): Promise<MeasurementPageDto> {
    return this.readings.measurements(principal, params.ogscId, params.kind, query);
  }

  @Patch(':ogscId/enrollments/:groupId')
  @RequiresScope('participants:write')
  @OGSC_ID_PARAM
  @ApiParam({ name: 'groupId', description: 'The public group ID.', example: 'G7K2M9QX4TR1' })
  @PARTICIPANT_NOT_FOUND
  @ApiProblemResponse(HttpStatus.CONFLICT, 'Another participant of the group has this internal customer ID (`internal_customer_id_taken`).')
  @ApiOperationOk('updateEnrollment', "Set, change or remove the participant's internal customer ID in a group", EnrollmentDto)
  updateEnrollment(
    @Principal() principal: ApiPrincipal,
    @Param('ogscId') ogscId: string,
    @Param('groupId') groupId: string,
    @Body() body: UpdateEnrollmentBody,
    @Ip() ip: string,
  ): Promise<EnrollmentDto> {
    return this.participants.setInternalCustomerId(principal, ogscId, groupId, body.internalCustomerId, ip);
  }
}
