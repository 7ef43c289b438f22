import { Body, Get, HttpCode, HttpStatus, Ip, Param, Post, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiProduces, ApiResponse } from '@nestjs/swagger';
import type { Response } from 'express';
import type { ApiPrincipal } from '../auth/api-principal.types.js';
import { Principal } from '../auth/principal.decorator.js';
import { RequiresScope } from '../auth/requires-scope.decorator.js';
import { GroupsApiService } from '../data/groups-api.service.js';
import { ParticipantsApiService } from '../data/participants-api.service.js';
import { ConsentLinkDto, ConsentLinkQuery, ConsentQrQuery, GroupDto, GroupPageDto, ListGroupsQuery } from '../dto/groups.dto.js';
import { CreateParticipantsBody, CreatedParticipantsDto } from '../dto/participants.dto.js';
import { ApiOperationOk, ApiProblemResponse, ApiV1Controller } from './api-docs.decorators.js';

const GROUP_ID_PARAM = ApiParam({ name: 'groupId', description: 'The public group ID.', example: 'G7K2M9QX4TR1' });
const GROUP_NOT_FOUND = ApiProblemResponse(HttpStatus.NOT_FOUND, 'No such group, or not one this client may see (`group_not_found`).');

@ApiV1Controller('groups', 'Groups')
export class GroupsApiController {
  constructor(
    private readonly groups: GroupsApiService,
    private readonly participants: ParticipantsApiService,
  ) {}

  @Get()
  @RequiresScope('participants:read')
  @ApiOperationOk('listGroups', 'The groups this client may see, by group ID', GroupPageDto)
  list(@Principal() principal: ApiPrincipal, @Query() query: ListGroupsQuery): Promise<GroupPageDto> {
    return this.groups.list(principal, query);
  }

  @Get(':groupId')
  @RequiresScope('participants:read')
  @GROUP_ID_PARAM
  @GROUP_NOT_FOUND
  @ApiOperationOk('getGroup', 'One group with its registered redirect URLs', GroupDto)
  get(@Principal() principal: ApiPrincipal, @Param('groupId') groupId: string): Promise<GroupDto> {
    return this.groups.get(principal, groupId);
  }

  @Get(':groupId/consent-link')
  @RequiresScope('participants:read')
  @GROUP_ID_PARAM
  @GROUP_NOT_FOUND
  @ApiOperationOk('getConsentLink', "The group's consent link, to hand to participants", ConsentLinkDto)
  consentLink(
    @Principal() principal: ApiPrincipal,
    @Param('groupId') groupId: string,
    @Query() query: ConsentLinkQuery,
  ): Promise<ConsentLinkDto> {
    return this.groups.consentLink(principal, groupId, query.redirectUrl);
  }

  @Get(':groupId/consent-link/qr')
  @RequiresScope('participants:read')
  @GROUP_ID_PARAM
  @GROUP_NOT_FOUND
  @ApiOperation({ operationId: 'getConsentLinkQr', summary: "The group's consent link as a QR code (PNG or SVG)" })
  @ApiProduces('image/png', 'image/svg+xml')
  @ApiResponse({
    status: HttpStatus.OK,
    description: 'The QR code.',
    content: { 'image/png': { schema: { type: 'string', format: 'binary' } }, 'image/svg+xml': { schema: { type: 'string' } } },
  })
  async consentQr(
    @Principal() principal: ApiPrincipal,
    @Param('groupId') groupId: string,
    @Query() query: ConsentQrQuery,
    @Res() res: Response,
  ): Promise<void> {
    const qr = await this.groups.consentQr(principal, groupId, query.redirectUrl, query.format);
    res.type(qr.contentType).send(qr.body);
  }

  @Post(':groupId/participants')
  @HttpCode(HttpStatus.CREATED)
  @RequiresScope('participants:write')
  @GROUP_ID_PARAM
  @GROUP_NOT_FOUND
  @ApiProblemResponse(
    HttpStatus.CONFLICT,
    'An internal customer ID is taken in the group or repeated in the request (`internal_customer_id_taken`); nothing was created.',
  )
  @ApiOperationOk('createParticipants', 'Pre-create participants in a group and get their one-time credentials', CreatedParticipantsDto, {
    status: HttpStatus.CREATED,
    description:
      'All or nothing. Each participant gets an OGSC ID at once, a login ID and a generated password, shown in this response only. ' +
      'Give each an internal customer ID to make a retry after a lost response safe: it answers 409 instead of creating duplicates.',
  })
  create(
    @Principal() principal: ApiPrincipal,
    @Param('groupId') groupId: string,
    @Body() body: CreateParticipantsBody,
    @Ip() ip: string,
  ): Promise<CreatedParticipantsDto> {
    return this.participants.provision(principal, groupId, body.participants, ip);
  }
}
