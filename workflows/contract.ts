/**
 * Names operators see: workflow ID prefixes, signal/update/query names and custom search
 * attributes. They appear in the Temporal UI, in saved queries and in running histories, so they
 * are part of the product's API: never rename one; retire it by listing it at the bottom.
 *
 * No personal data or secret ever goes into a workflow ID or a search attribute value: IDs and
 * attributes hold internal numeric ids and enum values only.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Workflow ID prefixes; the rest of the ID is an internal numeric id. */
export const WorkflowIdPrefix = {
  subscription: 'subscription-',
  payment: 'payment-',
} as const;

/** `subscription-{subscriptionId}` */
export function subscriptionWorkflowId(subscriptionId: number): string {
  return `${WorkflowIdPrefix.subscription}${subscriptionId}`;
}

/** `payment-{paymentId}` */
export function paymentWorkflowId(paymentId: number): string {
  return `${WorkflowIdPrefix.payment}${paymentId}`;
}

/** Signal names. */
export const SignalName = {
  paymentCompleted: 'paymentCompleted',
  cancel: 'cancel',
} as const;

/** Query names. */
export const QueryName = {
  getState: 'getState',
} as const;

/** Internal users.id of the subscription's owner (never the Telegram id or username). */
export const UserIdAttribute = defineSearchAttributeKey('UserId', SearchAttributeType.KEYWORD);
/** Lifecycle status: awaiting_payment, provisioning, active, grace, expired, cancelled. */
export const SubscriptionStatusAttribute = defineSearchAttributeKey('SubscriptionStatus', SearchAttributeType.KEYWORD);
/** subscription_plans.id of the current plan. */
export const PlanIdAttribute = defineSearchAttributeKey('PlanId', SearchAttributeType.KEYWORD);
/** vpn_servers.id the subscription's client lives on. */
export const ServerIdAttribute = defineSearchAttributeKey('ServerId', SearchAttributeType.KEYWORD);
/** When the paid period ends. */
export const ExpiresAtAttribute = defineSearchAttributeKey('ExpiresAt', SearchAttributeType.DATETIME);
/** Payment workflow status: pending, completed, failed, cancelled. */
export const PaymentStatusAttribute = defineSearchAttributeKey('PaymentStatus', SearchAttributeType.KEYWORD);
/** Payment method: card, sbp, crypto, stars, balance. */
export const PaymentMethodAttribute = defineSearchAttributeKey('PaymentMethod', SearchAttributeType.KEYWORD);

/** Every custom search attribute, for registration on a namespace. */
export const SEARCH_ATTRIBUTES = [
  UserIdAttribute,
  SubscriptionStatusAttribute,
  PlanIdAttribute,
  ServerIdAttribute,
  ExpiresAtAttribute,
  PaymentStatusAttribute,
  PaymentMethodAttribute,
] as const;

/** Retired names (kept so nobody reuses them with another meaning): none yet. */
export const RETIRED_NAMES: readonly string[] = [];
