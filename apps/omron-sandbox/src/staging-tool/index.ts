export { StagingToolModule } from './staging-tool.module.js';
export { StagingToolService, MAX_UPLOAD_READINGS } from './staging-tool.service.js';
export { readingsTemplate, parseReadingsSpreadsheet } from './readings-spreadsheet.js';
export { parseUploadedReadings, ReadingUploadError } from './reading-upload.js';
