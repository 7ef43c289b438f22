export type { CsvChunk, CsvLineFormat, CsvPage } from './csv-pages.js';
export { arrayLiteral, executeBound, executePrepared } from './bound-statement.helpers.js';
export { NEXT_CHANGE_SEQ, lockChangeSequence } from './change-sequence.helpers.js';
export { EXPORT_KIND_NAMES, exportColumns } from './export-columns.catalogue.js';
export type { ExportKind } from './export-columns.catalogue.js';
export { MEASUREMENT_KINDS, MEASUREMENT_KIND_NAMES } from './measurement-kinds.catalogue.js';
export type { MeasurementKind } from './measurement-kinds.catalogue.js';
export { MeasurementsModule } from './measurements.module.js';
export { ACTIVITY_HOUR_COLUMNS, READING_CATALOGUE, omronReadOf } from './reading-columns.catalogue.js';
export type { OmronRead } from './reading-columns.catalogue.js';
export { READING_ENTITIES } from './reading.entity.js';
export { ReadingsLanded, composeLanded } from './readings-landed.service.js';
export type { LandedPage, LandedStatement, LandingLane, ReadingsLandedListener } from './readings-landed.service.js';
export { ReadingsRepository, changeFeedSql, isoUtcSql } from './readings.repository.js';
export type {
  ChangeScope,
  DeviceSeen,
  DownloadScope,
  PortalReadingRow,
  SqlFragment,
  TimelineRow,
  WriteOutcome,
} from './readings.repository.js';
