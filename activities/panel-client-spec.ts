/**
 * Pure pieces of the panel activities: which identity a subscription's client has, and what the
 * client should look like on an inbound given the plan and the period.
 */
import { deriveClientIdentity, type ClientIdentity } from '../lib/xui/derive-client-identity';
import { PanelNotConfiguredError } from '../lib/xui/panel-errors';
import type { PanelInbound, VlessClient } from '../lib/xui/panel-schemas';
import { asString, vlessFlowAllowed } from '../lib/xui/vless-link-params';
import type { SubscriptionPlanRow } from '../sql/schemas/subscription-plan-row';
import type { SubscriptionRow } from '../sql/schemas/subscription-row';

/** The flow set on clients of inbounds that allow one (tcp + tls/reality, xhttp + VLESS encryption). */
export const VLESS_FLOW = 'xtls-rprx-vision';

/** Per-client limits taken from the plan. */
export interface ClientLimits {
  /** Concurrent source IPs (the plan's devices), 0 = unlimited. */
  limitIp: number;
  /** Traffic quota in bytes (the plan's traffic_limit), 0 = unlimited. */
  totalBytes: number;
}

/** The plan's limits; no plan (or no feature) means unlimited. */
export function limitsOf(plan: Pick<SubscriptionPlanRow, 'features'> | null): ClientLimits {
  return { limitIp: plan?.features?.devices ?? 0, totalBytes: plan?.features?.traffic_limit ?? 0 };
}

/**
 * The panel identity of a subscription's client: the one recorded on the row when there is one
 * (so a later salt rotation does not orphan existing clients), else the one derived from the
 * subscription id and the salt (which is also what the first provisioning records).
 *
 * @throws RangeError when the salt is shorter than 16 characters
 */
export function identityOf(
  subscriptionId: number,
  row: Pick<SubscriptionRow, 'xui_client_uuid' | 'xui_email' | 'xui_sub_id'> | null,
  salt: string,
): ClientIdentity {
  const derived = deriveClientIdentity(subscriptionId, salt);
  if (row?.xui_client_uuid && row.xui_email) {
    return { uuid: row.xui_client_uuid, email: row.xui_email, subId: row.xui_sub_id ?? derived.subId };
  }
  return derived;
}

/**
 * The client the inbound should hold.
 *
 * @param state.expiryTime epoch milliseconds (0 = never)
 * @throws PanelNotConfiguredError when the inbound is not a VLESS inbound
 */
export function desiredClient(
  identity: ClientIdentity,
  inbound: PanelInbound,
  limits: ClientLimits,
  state: { enable: boolean; expiryTime: number },
): VlessClient {
  if (inbound.protocol !== 'vless') throw new PanelNotConfiguredError(`inbound ${inbound.id} is ${inbound.protocol}, not vless`);
  const network = asString(inbound.streamSettings['network']) ?? '';
  const security = asString(inbound.streamSettings['security']) ?? '';
  return {
    id: identity.uuid,
    email: identity.email,
    subId: identity.subId,
    flow: vlessFlowAllowed(network, security, inbound.settings) ? VLESS_FLOW : '',
    limitIp: limits.limitIp,
    totalGB: limits.totalBytes,
    expiryTime: state.expiryTime,
    enable: state.enable,
    tgId: 0,
    comment: '',
  };
}

/**
 * An instant given as a Date or an ISO 8601 string (what a Date becomes in a Temporal payload),
 * as epoch milliseconds.
 * @throws RangeError when it is not a valid instant
 */
export function toEpochMs(instant: string | Date): number {
  const ms = instant instanceof Date ? instant.getTime() : Date.parse(instant);
  if (!Number.isFinite(ms)) throw new RangeError('expiresAt must be an ISO 8601 instant');
  return ms;
}
