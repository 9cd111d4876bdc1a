/** Public surface of the YooKassa provider. */
export { createYooKassaProvider, YOOKASSA_WEBHOOK_IPS, type YooKassaProviderOptions } from './yookassa-provider';
export { YOOKASSA_DEFAULT_BASE_URL } from './yookassa-http';
export type { YooKassaPayment, YooKassaRefund } from './yookassa-schemas';
