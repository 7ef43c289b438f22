import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { DspConfig } from '@opendsp/config';
import { ViewsFolder } from '@opendsp/views';
import { AccessGuard } from './access.guard.js';
import { AccountPortalController } from './account.portal.controller.js';
import { AdminAccount } from './admin-account.entity.js';
import { AdminAccountsService } from './admin-accounts.service.js';
import { AdminBootstrap } from './admin-bootstrap.service.js';
import { AdminSession } from './admin-session.entity.js';
import { AdminToken } from './admin-token.entity.js';
import { AuthService } from './auth.service.js';
import { AuthPortalController } from './auth.portal.controller.js';
import { CsrfGuard } from './csrf.guard.js';
import { CsrfTokens } from './csrf.helpers.js';
import { InvalidFormInterceptor } from './invalid-form.interceptor.js';
import { LoginThrottle } from './login-throttle.entity.js';
import { LoginThrottleService } from './login-throttle.service.js';
import { PortalCookies } from './portal-cookies.helpers.js';
import { PortalSessionMiddleware } from './portal-session.middleware.js';
import { SessionsService } from './sessions.service.js';

/**
 * Admins, sessions, sign-in and the portal's access rules. Needs AuditModule, MailModule and CryptoModule.
 * Guards run in order: CSRF first (a forged request is refused before anything else), then access.
 */
@ViewsFolder(import.meta.url)
@Module({
  imports: [MikroOrmModule.forFeature([AdminAccount, AdminSession, AdminToken, LoginThrottle])],
  controllers: [AuthPortalController, AccountPortalController],
  providers: [
    SessionsService,
    LoginThrottleService,
    AuthService,
    AdminAccountsService,
    AdminBootstrap,
    PortalSessionMiddleware,
    { provide: PortalCookies, inject: [DspConfig], useFactory: (config: DspConfig) => new PortalCookies(config) },
    { provide: CsrfTokens, inject: [DspConfig], useFactory: (config: DspConfig) => new CsrfTokens(config) },
    { provide: APP_GUARD, useClass: CsrfGuard },
    { provide: APP_GUARD, useClass: AccessGuard },
    { provide: APP_INTERCEPTOR, useClass: InvalidFormInterceptor },
  ],
  exports: [AdminAccountsService, SessionsService, PortalCookies],
})
export class AdminAuthModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // Probes and the bearer-token REST API stay cheap and cookie-free.
    consumer
      .apply(PortalSessionMiddleware)
      .exclude(
        { path: 'health', method: RequestMethod.ALL },
        { path: 'health/{*rest}', method: RequestMethod.ALL },
        { path: 'api/{*rest}', method: RequestMethod.ALL },
      )
      .forRoutes({ path: '{*all}', method: RequestMethod.ALL });
  }
}
