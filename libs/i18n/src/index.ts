export { trimmed, validateForm } from './form-validation.helpers.js';
export type { FieldErrors } from './form-validation.helpers.js';
export { formatDateTime, isLanguage, translate } from './i18n.helpers.js';
export { BrowserForm, InvalidRequestException, requestValidationPipe } from './request-validation.pipe.js';
