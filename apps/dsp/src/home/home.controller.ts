import { Controller, Get, Render } from '@nestjs/common';
import { DspConfig } from '@opendsp/config';

/** The platform's front page: which environment this is and where to go next. */
@Controller()
export class HomeController {
  constructor(private readonly config: DspConfig) {}

  @Get()
  @Render('home')
  home() {
    const { environment } = this.config;
    return {
      title: 'OpenDSP',
      environment,
      countries: environment.countries.map((country) => country.name).join(', '),
    };
  }
}
