/**
 * Deterministic panel identity of a subscription, so a retry after a crash between the panel
 * call and the database write finds the client it already created instead of adding another.
 */
import { createHmac } from 'node:crypto';

/** The panel-facing identity of one subscription. Contains no personal data. */
export interface ClientIdentity {
  /** `sub-<subscriptionId>-<8 hex>`: unique across the panel, stable for the subscription. */
  email: string;
  /** RFC 4122 layout, version nibble 5, from HMAC-SHA256(salt, 'sub:' + id). */
  uuid: string;
  /** 16 lowercase hex characters, the panel's subscription id for this client. */
  subId: string;
}

const SUBSCRIPTION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Derives the client's email, uuid and subId from the subscription id and a server secret.
 * The same inputs always give the same identity; without the salt nobody can derive a
 * subscription's uuid (which is the VLESS credential) from its id.
 *
 * @param subscriptionId the subscription's id: 1-64 characters of `A-Za-z0-9_-`
 * @param secretSalt a server secret of at least 16 characters (never logged)
 * @throws RangeError when the id has other characters or the salt is too short
 */
export function deriveClientIdentity(subscriptionId: string | number | bigint, secretSalt: string): ClientIdentity {
  const id = String(subscriptionId);
  if (!SUBSCRIPTION_ID.test(id)) throw new RangeError('subscriptionId must be 1-64 characters of A-Za-z0-9_-');
  if (secretSalt.length < 16) throw new RangeError('secretSalt must be at least 16 characters');
  const mac = (label: string) => createHmac('sha256', secretSalt).update(`${label}:${id}`).digest();

  const bytes = mac('sub').subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;

  return {
    email: `sub-${id}-${mac('email').toString('hex').slice(0, 8)}`,
    uuid,
    subId: mac('subid').toString('hex').slice(0, 16),
  };
}
