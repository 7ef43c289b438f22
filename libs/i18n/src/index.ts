export { trimmed, validateForm } from './form-validation.js';
export type { FieldErrors } from './form-validation.js';
export { formatDateTime, isLanguage, translate } from './i18n.js';
export { BrowserForm, InvalidRequestException, requestValidationPipe } from './request-validation.pipe.js';
