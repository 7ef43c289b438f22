export { CryptoModule } from './crypto.module.js';
export { SecretBox } from './secret-box.service.js';
