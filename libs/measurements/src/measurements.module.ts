import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { READING_ENTITIES } from './reading.entity.js';

/** The typed reading tables, one per kind of measurement. */
@Module({
  imports: [MikroOrmModule.forFeature(READING_ENTITIES)],
  exports: [MikroOrmModule],
})
export class MeasurementsModule {}
