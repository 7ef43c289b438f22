import { Module, type OnModuleInit } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { MeasurementsModule, ReadingsLanded } from '@opendsp/measurements';
import { ParticipantsModule } from '@opendsp/participants';
import { TokensModule } from '@opendsp/tokens';
import { AlertChecks } from './alert-checks.service.js';
import { AlertLabels } from './alert-labels.service.js';
import { AlertList } from './alert-list.service.js';
import { AlertRaising } from './alert-raising.service.js';
import { ALERT_ENTITIES } from './alert.entities.js';
import { AlertWithdrawalListener } from './alert-withdrawal.listener.js';
import { AlertsScheduler } from './alerts.scheduler.js';

/**
 * Alerts: raised as readings land (a `ReadingsLanded` listener, in the sync writer's transaction), by the
 * scheduled checks (silences, connections), resolved when their cause ends, mailed from the alert rows, and
 * listed (`AlertList`) for the portal's inbox and the REST API. Loaded by every process role; the
 * scheduler only ticks where ScheduleModule is loaded (worker roles).
 */
@Module({
  imports: [MikroOrmModule.forFeature(ALERT_ENTITIES), MeasurementsModule, ParticipantsModule, TokensModule],
  providers: [AlertRaising, AlertChecks, AlertList, AlertLabels, AlertsScheduler, AlertWithdrawalListener],
  exports: [AlertRaising, AlertChecks, AlertList, AlertLabels],
})
export class AlertsModule implements OnModuleInit {
  constructor(
    private readonly landed: ReadingsLanded,
    private readonly raising: AlertRaising,
  ) {}

  onModuleInit(): void {
    this.landed.listen('alerts', (em, page) => this.raising.onLanded(em, page));
  }
}
