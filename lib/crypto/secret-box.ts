import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ConfigError, SecretDecryptError } from '../errors';

/**
 * AES-256-GCM boxes for secrets stored in the database (3X-UI panel passwords and API tokens).
 *
 * Format: `v1:<iv>:<tag>:<ciphertext>`, each part standard base64; a 12-byte random IV per box and
 * a 16-byte tag. The version prefix lets a later key or algorithm ("v2") coexist with old boxes
 * during rotation. An optional `context` string is bound as associated data (e.g.
 * "vpn_servers:7:xui_password"), so a box copied to another row or column fails to open.
 *
 * Plaintexts and keys never appear in errors or logs; a box that cannot be decrypted raises
 * SECRET_DECRYPT_FAILED without saying why beyond "wrong key, tampered or wrong context".
 */

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Encrypts and decrypts secret strings with one key. */
export interface SecretBox {
  /** Encrypts `plaintext` (UTF-8) into a `v1:` box; the same `context` must be given to decrypt it. */
  encrypt(plaintext: string, context?: string): string;
  /**
   * Decrypts a box made by {@link SecretBox.encrypt} with the same key and context.
   *
   * @throws SecretDecryptError (SECRET_DECRYPT_FAILED) when the box is malformed, tampered with,
   *   sealed with another key, or bound to another context
   */
  decrypt(box: string, context?: string): string;
}

/**
 * Decodes a 32-byte key given as 64 hex characters or as base64 (44 characters with padding).
 *
 * @throws ConfigError (CONFIG_INVALID) when the text is neither, or decodes to another length;
 *   the message never contains the key
 */
export function parseSecretKey(keyText: string): Buffer {
  const text = keyText.trim();
  let key: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(text)) key = Buffer.from(text, 'hex');
  else if (BASE64.test(text) && text.length % 4 === 0) key = Buffer.from(text, 'base64');
  if (key === undefined || key.length !== KEY_BYTES) {
    throw new ConfigError('secret key must be 32 bytes given as 64 hex characters or base64');
  }
  return key;
}

/**
 * Creates a {@link SecretBox} for a 32-byte key (hex or base64 text, or raw bytes).
 *
 * @throws ConfigError (CONFIG_INVALID) for a key that is not 32 bytes
 */
export function createSecretBox(key: string | Uint8Array): SecretBox {
  const keyBytes = typeof key === 'string' ? parseSecretKey(key) : Buffer.from(key);
  if (keyBytes.length !== KEY_BYTES) throw new ConfigError('secret key must be 32 bytes');

  return {
    encrypt(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', keyBytes, iv, { authTagLength: TAG_BYTES });
      if (context !== undefined) cipher.setAAD(Buffer.from(context, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, iv.toString('base64'), tag.toString('base64'), ciphertext.toString('base64')].join(':');
    },
    decrypt(box, context) {
      const parts = box.split(':');
      if (parts.length !== 4 || parts[0] !== VERSION) throw new SecretDecryptError('secret box has an unknown format');
      const [, ivText = '', tagText = '', ciphertextText = ''] = parts;
      if (![ivText, tagText, ciphertextText].every((part) => BASE64.test(part))) {
        throw new SecretDecryptError('secret box has an unknown format');
      }
      const iv = Buffer.from(ivText, 'base64');
      const tag = Buffer.from(tagText, 'base64');
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new SecretDecryptError('secret box has an unknown format');
      try {
        const decipher = createDecipheriv('aes-256-gcm', keyBytes, iv, { authTagLength: TAG_BYTES });
        if (context !== undefined) decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(Buffer.from(ciphertextText, 'base64')), decipher.final()]).toString('utf8');
      } catch {
        // The cause (OpenSSL's "unable to authenticate data") says nothing useful and is dropped.
        throw new SecretDecryptError();
      }
    },
  };
}
