import { SftpDelivery, SftpDeliveryFile } from './sftp/sftp-delivery.entity.js';
import { SftpDeliveryCursor, SftpDestination } from './sftp/sftp-destination.entity.js';
import { SftpRetrievalKey } from './sftp/sftp-retrieval-key.entity.js';

/** The exports room's tables: SFTP destinations, their cursors, deliveries, delivered files and retrieval keys. */
export const EXPORT_ENTITIES = [SftpDestination, SftpDeliveryCursor, SftpDelivery, SftpDeliveryFile, SftpRetrievalKey];
