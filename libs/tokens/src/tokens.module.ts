import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Clock } from './clock.service.js';
import { OmronConnection, OmronConnectionEvent } from './omron-connection.entity.js';
import { OmronConnections } from './omron-connections.service.js';
import { OmronOAuthClient } from './omron-oauth-client.service.js';
import { OmronTokens } from './omron-tokens.service.js';
import { TokenRefreshScheduler } from './token-refresh.scheduler.js';

/** OMRON OAuth tokens: encrypted storage, single-flight refresh, connection states. Needs CryptoModule. */
@Module({
  imports: [MikroOrmModule.forFeature([OmronConnection, OmronConnectionEvent])],
  providers: [Clock, OmronOAuthClient, OmronTokens, OmronConnections, TokenRefreshScheduler],
  exports: [OmronTokens, OmronOAuthClient, OmronConnections],
})
export class TokensModule {}
