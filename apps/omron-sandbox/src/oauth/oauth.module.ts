import { Module } from '@nestjs/common';
import { RegisteredAppsModule } from '../registered-apps/registered-apps.module.js';
import { AuthorizationService } from './authorization.service.js';
import { OAuthAuthorizeController } from './oauth-authorize.controller.js';
import { OAuthTokenController } from './oauth-token.controller.js';
import { SandboxAccessTokens } from './sandbox-access-tokens.service.js';
import { SandboxGrants } from './sandbox-grants.service.js';
import { SignInSessions } from './sign-in-sessions.js';
import { SigningKeys } from './signing-keys.service.js';
import { TokenService } from './token.service.js';

/**
 * The emulated OMRON OAuth server: authorization website, token, revocation, JWKS and discovery.
 * Other sandbox modules use it through {@link SandboxAccessTokens} and {@link SandboxGrants}.
 */
@Module({
  imports: [RegisteredAppsModule],
  controllers: [OAuthAuthorizeController, OAuthTokenController],
  providers: [SandboxAccessTokens, SandboxGrants, SigningKeys, SignInSessions, AuthorizationService, TokenService],
  exports: [SandboxAccessTokens, SandboxGrants],
})
export class OAuthModule {}
