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
      endpoints: [
        { name: 'Authorization website', url: `${base}/connect/authorize` },
        { name: 'Token endpoint (staging)', url: `${base}/stg/connect/token` },
        { name: 'Measurement API (staging)', url: `${base}/stg/api/measurement` },
      ],
    };
  }
}
