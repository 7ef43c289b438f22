import { Controller, Get, Render } from '@nestjs/common';
import { SandboxConfig } from '@opendsp/config';

/** The sandbox's front page: what it emulates and its endpoints. */
@Controller()
export class SandboxHomeController {
  constructor(private readonly config: SandboxConfig) {}

  @Get()
  @Render('home')
  home() {
    const base = this.config.http.publicUrl;
    return {
      title: 'OMRON sandbox',
      stagingToolUrl: `${base}/tool`,
      endpoints: [
        { name: 'Authorization website', url: `${base}/connect/authorize` },
        { name: 'Token endpoint (staging; /prd too)', url: `${base}/stg/connect/token` },
        { name: 'Revocation', url: `${base}/stg/connect/revocation` },
        { name: 'JWKS', url: `${base}/stg/.well-known/jwks.json` },
        { name: 'OpenID discovery', url: `${base}/stg/.well-known/openid-configuration` },
        { name: 'Measurement API (staging; /prd too)', url: `${base}/stg/api/measurement` },
        { name: 'Admin API: registered apps, users, faults, rate limits, notifications, clock', url: `${base}/admin/…` },
      ],
    };
  }
}
