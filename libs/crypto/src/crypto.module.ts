import { Global, Module } from '@nestjs/common';
import { DspConfig } from '@opendsp/config';
import { SecretBox } from './secret-box.service.js';

/** Provides the platform's SecretBox, keyed from ENCRYPTION_KEYS / ENCRYPTION_ACTIVE_KEY_ID. */
@Global()
@Module({
  providers: [
    {
      provide: SecretBox,
      inject: [DspConfig],
      useFactory: (config: DspConfig) => new SecretBox(config.encryption.keys, config.encryption.activeKeyId),
    },
  ],
  exports: [SecretBox],
})
export class CryptoModule {}
