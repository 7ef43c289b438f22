import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { GroupRedirectUrl, ProgramGroup } from '@opendsp/groups';
import { Enrollment, Participant, ParticipantsModule } from '@opendsp/participants';
import { ViewsFolder } from '@opendsp/views';
import { ApiAuthGuard } from './auth/api-auth.guard.js';
import { ApiRateLimiter } from './auth/api-rate-limiter.service.js';
import { ApiTokensService } from './auth/api-tokens.service.js';
import { API_ENTITIES } from './clients/api-client.entity.js';
import { ApiClientsPortalController } from './clients/api-clients.portal.controller.js';
import { ApiClientsService } from './clients/api-clients.service.js';
import { ChangesApiController } from './controllers/changes.api.controller.js';
import { ExportsApiController } from './controllers/exports.api.controller.js';
import { ExportsApiService } from './data/exports-api.service.js';
import { AdherenceApiController } from './controllers/adherence.api.controller.js';
import { AdherenceApiService } from './data/adherence-api.service.js';
import { AlertsApiController } from './controllers/alerts.api.controller.js';
import { AlertsApiService } from './data/alerts-api.service.js';
import { AlertsModule } from '@opendsp/alerts';
import { InsightsModule } from '@opendsp/insights';
import { GroupsApiController } from './controllers/groups.api.controller.js';
import { OAuthTokenController } from './controllers/oauth-token.controller.js';
import { ParticipantsApiController } from './controllers/participants.api.controller.js';
import { GroupsApiService } from './data/groups-api.service.js';
import { ParticipantsApiService } from './data/participants-api.service.js';
import { ReadingsApiService } from './data/readings-api.service.js';
import { FhirApiService } from './fhir/fhir-api.service.js';
import { FhirApiController } from './fhir/fhir.api.controller.js';
import { INTERNAL_CUSTOMER_ID_SETTER, InternalCustomerIdAdapter } from './integrations/internal-customer-ids.port.js';
import { PARTICIPANT_PROVISIONING, ParticipantProvisioningAdapter } from './integrations/participant-provisioning.port.js';
import { MeasurementsModule } from '@opendsp/measurements';
import { TokensModule } from '@opendsp/tokens';
import { ExportsModule } from '@opendsp/exports';

/** The controllers of the REST API (what the OpenAPI document describes), in the order of the document. */
export const API_CONTROLLERS = [
  OAuthTokenController,
  GroupsApiController,
  ParticipantsApiController,
  FhirApiController,
  ChangesApiController,
  ExportsApiController,
  AdherenceApiController,
  AlertsApiController,
];

/** What those controllers inject from this module (the OpenAPI document stands them in without a database). */
export const API_CONTROLLER_SERVICES = [
  ApiTokensService,
  ApiRateLimiter,
  GroupsApiService,
  ParticipantsApiService,
  ReadingsApiService,
  FhirApiService,
  ExportsApiService,
  AdherenceApiService,
  AlertsApiService,
];

/**
 * The REST API for partner systems under /api/v1 and the portal pages of its clients. Served by the web
 * roles. Provisioning and internal customer IDs come through ports (see `integrations/`) so the enrollment
 * room can plug in its services; the sync ledger comes from `SyncStatusService` (the global SyncModule), as
 * the portal's does.
 */
@ViewsFolder(import.meta.url)
@Module({
  imports: [
    MikroOrmModule.forFeature([...API_ENTITIES, ProgramGroup, GroupRedirectUrl, Participant, Enrollment]),
    ParticipantsModule,
    MeasurementsModule,
    TokensModule,
    ExportsModule,
    InsightsModule,
    AlertsModule,
  ],
  controllers: [...API_CONTROLLERS, ApiClientsPortalController],
  providers: [
    ApiClientsService,
    ApiAuthGuard,
    ...API_CONTROLLER_SERVICES,
    { provide: PARTICIPANT_PROVISIONING, useClass: ParticipantProvisioningAdapter },
    { provide: INTERNAL_CUSTOMER_ID_SETTER, useClass: InternalCustomerIdAdapter },
  ],
  exports: [ApiClientsService],
})
export class ApiModule {}
