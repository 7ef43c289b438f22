import { SftpDelivery, SftpDeliveryFile } from './sftp/sftp-delivery.entity.js';
import { SftpDeliveryCursor, SftpDestination } from './sftp/sftp-destination.entity.js';

/** The exports room's tables: SFTP destinations, their cursors, deliveries and delivered files. */
export const EXPORT_ENTITIES = [SftpDestination, SftpDeliveryCursor, SftpDelivery, SftpDeliveryFile];
