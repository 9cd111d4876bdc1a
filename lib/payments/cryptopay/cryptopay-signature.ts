/**
 * Crypto Pay webhook signatures: header `crypto-pay-api-signature` = lowercase hex
 * HMAC-SHA-256 over the raw request body, keyed with SHA-256(app token) as 32 raw bytes (not hex).
 */
import { createHash } from 'node:crypto';
import { hmacSha256Hex, verifyHmacSha256Hex } from '../hmac-signature';

/** The header carrying the signature (lower case, as Node presents it). */
export const CRYPTO_PAY_SIGNATURE_HEADER = 'crypto-pay-api-signature';

function keyOf(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/** The signature Crypto Pay puts on `rawBody` for an app with `token`. */
export function cryptoPaySignature(token: string, rawBody: string | Buffer): string {
  return hmacSha256Hex(keyOf(token), rawBody);
}

/** Whether `signature` is Crypto Pay's signature of `rawBody` (constant-time compare). */
export function verifyCryptoPaySignature(token: string, rawBody: Buffer, signature: string | undefined): boolean {
  return verifyHmacSha256Hex(keyOf(token), rawBody, signature);
}
