/** HMAC-SHA-256 signatures over raw bytes, as hex, with constant-time verification. */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Lowercase hex HMAC-SHA-256 of `body` under `key`. */
export function hmacSha256Hex(key: string | Buffer, body: string | Buffer): string {
  return createHmac('sha256', key).update(body).digest('hex');
}

/**
 * Whether `signatureHex` is the HMAC-SHA-256 of `body` under `key`. Compares the decoded bytes in
 * constant time; a missing, malformed or wrong-length signature is simply false.
 */
export function verifyHmacSha256Hex(key: string | Buffer, body: string | Buffer, signatureHex: string | undefined): boolean {
  if (signatureHex === undefined || !/^[0-9a-fA-F]{64}$/.test(signatureHex)) return false;
  const expected = createHmac('sha256', key).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(signatureHex, 'hex'));
}
