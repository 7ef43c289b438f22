import { Body, Get, HttpCode, HttpStatus, Ip, Param, Post, Query } from '@nestjs/common';
import { ApiParam } from '@nestjs/swagger';
import type { ApiPrincipal } from '../auth/api-principal.types.js';
import { Principal } from '../auth/principal.decorator.js';
import { RequiresScope } from '../auth/requires-scope.decorator.js';
import { AlertsApiService } from '../data/alerts-api.service.js';
import { AcknowledgeAlertBody, AlertDto, AlertPageDto, ListAlertsQuery } from '../dto/alerts.dto.js';
import { ApiOperationOk, ApiProblemResponse, ApiV1Controller } from './api-docs.decorators.js';

const GROUP_ID_PARAM = ApiParam({ name: 'groupId', description: 'The public group ID.', example: 'G7K2M9QX4TR1' });
const GROUP_NOT_FOUND = ApiProblemResponse(HttpStatus.NOT_FOUND, 'No such group, or not one this client may see (`group_not_found`).');

@ApiV1Controller('groups', 'Alerts')
export class AlertsApiController {
  constructor(private readonly alerts: AlertsApiService) {}

  @Get(':groupId/alerts')
  @RequiresScope('alerts:read')
  @GROUP_ID_PARAM
  @GROUP_NOT_FOUND
  @ApiOperationOk(
    'listAlerts',
    "The group's alerts, newest first: open ones by default, or acknowledged, resolved or all; by rule and participant",
    AlertPageDto,
  )
  list(@Principal() principal: ApiPrincipal, @Param('groupId') groupId: string, @Query() query: ListAlertsQuery): Promise<AlertPageDto> {
    return this.alerts.page(principal, groupId, query);
  }

  @Post(':groupId/alerts/:alertId/acknowledge')
  @HttpCode(HttpStatus.OK)
  @RequiresScope('alerts:write')
  @GROUP_ID_PARAM
  @ApiParam({ name: 'alertId', description: "The alert's ID (a UUID).", example: '3f1c2a9e-6b0d-4c1e-9a57-2d8e4b7f0c13' })
  @ApiProblemResponse(
    HttpStatus.NOT_FOUND,
    'No such group or alert, or not one this client may see (`group_not_found`, `alert_not_found`).',
  )
  @ApiProblemResponse(HttpStatus.CONFLICT, 'The alert was already acknowledged or resolved (`alert_not_open`); its note stays.')
  @ApiOperationOk(
    'acknowledgeAlert',
    'Acknowledges an open alert with a note, as the portal does; audited with the client as the actor',
    AlertDto,
  )
  acknowledge(
    @Principal() principal: ApiPrincipal,
    @Param('groupId') groupId: string,
    @Param('alertId') alertId: string,
    @Body() body: AcknowledgeAlertBody,
    @Ip() ip: string,
  ): Promise<AlertDto> {
    return this.alerts.acknowledge(principal, groupId, alertId, body.note, ip);
  }
}
