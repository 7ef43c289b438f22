export * from './export-entities.js';
export * from './sftp/sftp-delivery.entity.js';
export * from './sftp/sftp-destination.entity.js';
