import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12; // 96-bit IV, the size GCM is specified for
const TAG_BYTES = 16; // full-length tag; shorter tags are refused on decrypt
const KEY_BYTES = 32; // AES-256

/** Where a ciphertext belongs. Bound in as associated data, so a value copied to another row or column fails to decrypt. */
export interface SecretLocation {
  table: string;
  column: string;
  rowId: string;
}

/** Raised for any ciphertext that cannot be authenticated: tampered, truncated, moved, or under an unknown key. */
export class SecretDecryptionError extends Error {
  override name = 'SecretDecryptionError';
}

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

function associatedData(location: SecretLocation): Buffer {
  // JSON-encoded so that ("ab", "c") and ("a", "bc") never produce the same bytes.
  return Buffer.from(JSON.stringify([VERSION, location.table, location.column, location.rowId]), 'utf8');
}

/**
 * Authenticated encryption for secrets at rest (OAuth tokens, SFTP passwords, client secrets):
 * AES-256-GCM with a random 96-bit IV per value, the full 16-byte tag, the key ID in each ciphertext,
 * and the owning row and column as associated data.
 *
 * Ciphertext format: `v1.<keyId>.<iv>.<ciphertext>.<tag>`, parts in base64url.
 */
export class SecretBox {
  private readonly keys: Map<string, Buffer>;

  constructor(
    keys: EncryptionKey[],
    private readonly activeKeyId: string,
  ) {
    for (const { id, key } of keys) {
      if (key.length !== KEY_BYTES) throw new Error(`encryption key "${id}" must be ${KEY_BYTES} bytes, not ${key.length}`);
      if (!/^[A-Za-z0-9_-]+$/.test(id)) throw new Error(`encryption key ID "${id}" may use only letters, digits, - and _`);
    }
    this.keys = new Map(keys.map(({ id, key }) => [id, key]));
    if (!this.keys.has(activeKeyId)) throw new Error(`the active encryption key "${activeKeyId}" is not among the configured keys`);
  }

  encrypt(plaintext: string, location: SecretLocation): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.activeKeyId)!, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(associatedData(location));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = [iv, ciphertext, cipher.getAuthTag()].map((part) => part.toString('base64url'));
    return [VERSION, this.activeKeyId, ...parts].join('.');
  }

  decrypt(value: string, location: SecretLocation): string {
    const [version, keyId, ivPart, ciphertextPart, tagPart, ...rest] = value.split('.');
    if (version !== VERSION || rest.length > 0 || tagPart === undefined)
      throw new SecretDecryptionError('not a ciphertext of this platform');
    const key = this.keys.get(keyId);
    if (!key) throw new SecretDecryptionError(`encrypted under key "${keyId}", which is not configured`);
    const iv = Buffer.from(ivPart, 'base64url');
    const tag = Buffer.from(tagPart, 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SecretDecryptionError('malformed IV or truncated tag');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(associatedData(location));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(ciphertextPart, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretDecryptionError('ciphertext failed authentication (tampered, truncated or moved)');
    }
  }

  /** True when the value is not under the active key, so a re-encryption run should rewrite it. */
  needsReencryption(value: string): boolean {
    return value.split('.')[1] !== this.activeKeyId;
  }
}

/** Parses `id:base64key,id2:base64key` (each key 32 random bytes, e.g. `openssl rand -base64 32`). */
export function parseEncryptionKeys(list: string): EncryptionKey[] {
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry) => {
      const separator = entry.indexOf(':');
      return { id: entry.slice(0, separator), key: Buffer.from(entry.slice(separator + 1), 'base64') };
    });
}

/** A fresh key entry for ENCRYPTION_KEYS. */
export function generateEncryptionKey(id: string): string {
  return `${id}:${randomBytes(KEY_BYTES).toString('base64')}`;
}
