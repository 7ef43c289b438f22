import { Module, type MiddlewareConsumer, type NestModule, type OnModuleInit } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { LoginThrottleService, PortalCookies } from '@opendsp/admin-auth';
import { DspConfig } from '@opendsp/config';
import { MeasurementsModule } from '@opendsp/measurements';
import { ConsentActivityPort, ParticipantsModule } from '@opendsp/participants';
import { TokensModule } from '@opendsp/tokens';
import { ViewsFolder } from '@opendsp/views';
import { ConsentCookies } from './consent-cookies.service.js';
import { ConsentRateLimiter, ConsentRateLimitMiddleware } from './consent-rate-limit.middleware.js';
import { ConsentFlow } from './consent-flow.entity.js';
import { ConsentFlows } from './consent-flows.service.js';
import { ConsentLinkOpen } from './consent-link-open.entity.js';
import { ConsentLinkService } from './consent-link.service.js';
import { ConsentController } from './consent.controller.js';
import { ConsentService } from './consent.service.js';
import { ConsentSteps } from './consent-steps.service.js';
import { ParticipantPageSteps } from './participant-page-steps.service.js';
import { IdTokenVerifier } from './id-token-verifier.service.js';
import { LinkOpens } from './link-opens.service.js';
import { OmronSignIn } from './omron-sign-in.service.js';
import { FlowStateStore, OmronStrategy } from './omron.strategy.js';
import { ParticipantPageController } from './participant-page.controller.js';
import { ParticipantPageService } from './participant-page.service.js';
import { ParticipantSession } from './participant-session.entity.js';
import { ParticipantSessions } from './participant-sessions.service.js';
import { ParticipantSignInService } from './participant-sign-in.service.js';

/**
 * Everything participant-facing of enrollment: consent links, OMRON connect sign-in (passport-oauth2),
 * pre-created sign-in, the consent screen, the OGSC ID redirect, and the participant page. Served by the
 * web roles; implements libs/participants' ConsentActivityPort; needs the portal's session middleware (CSRF tokens, language) and AuditModule, CryptoModule.
 */
@ViewsFolder(import.meta.url)
@Module({
  imports: [
    MikroOrmModule.forFeature([ConsentFlow, ConsentLinkOpen, ParticipantSession]),
    ParticipantsModule,
    TokensModule,
    MeasurementsModule,
  ],
  controllers: [ConsentController, ParticipantPageController],
  providers: [
    { provide: ConsentCookies, inject: [DspConfig], useFactory: (config: DspConfig) => new ConsentCookies(config) },
    { provide: PortalCookies, inject: [DspConfig], useFactory: (config: DspConfig) => new PortalCookies(config) },
    LoginThrottleService,
    ConsentLinkService,
    ConsentFlows,
    LinkOpens,
    IdTokenVerifier,
    FlowStateStore,
    OmronStrategy,
    OmronSignIn,
    ConsentService,
    ConsentSteps,
    ParticipantPageSteps,
    ParticipantSessions,
    ParticipantSignInService,
    ParticipantPageService,
    ConsentRateLimiter,
  ],
})
export class ConsentModule implements NestModule, OnModuleInit {
  constructor(
    private readonly consentActivity: ConsentActivityPort,
    private readonly linkOpens: LinkOpens,
    private readonly sessions: ParticipantSessions,
  ) {}

  /** Gives libs/participants the link openings and sessions it needs, without it depending on this lib. */
  onModuleInit(): void {
    this.consentActivity.implement({
      linkOpens: (em, groupUuid) => this.linkOpens.openedIn(em, groupUuid),
      endSessions: (em, participantId) => this.sessions.endAll(em, participantId),
    });
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(ConsentRateLimitMiddleware).forRoutes('consent/*path');
  }
}
