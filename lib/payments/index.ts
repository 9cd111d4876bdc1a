/** Public surface of the payment provider layer. Provider modules have their own barrels. */
export {
  matchesOrder,
  type CreateInvoiceInput,
  type CreatedInvoice,
  type ExpectedOrder,
  type ExternalPaymentMethod,
  type NotificationEvent,
  type NotificationInput,
  type NotificationKind,
  type OrderMatch,
  type OrderMismatch,
  type PaymentProvider,
  type PaymentSnapshot,
  type ProviderPaymentStatus,
  type RefundInput,
  type RefundResult,
} from './payment-provider';
export {
  isPaymentError,
  PaymentAuthError,
  PaymentError,
  PaymentErrorCode,
  PaymentNotFoundError,
  PaymentRejectedError,
  PaymentUnavailableError,
  WebhookRejectedError,
  type PaymentProviderName,
  type PaymentUnavailableReason,
  type WebhookRejectedReason,
} from './payment-errors';
export { createPaymentProviders, paymentFields, type PaymentConfig, type PaymentProviders } from './payments-config';
export { createIpAllowlist, type IpAllowlist } from './ip-allowlist';
export type { PaymentLogger } from './provider-http';
