export { loggingModule } from './logging.module.js';
