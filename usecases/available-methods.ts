/**
 * Which payment methods a deployment offers, derived from its configuration: card and SBP when
 * YooKassa (or, in dev, the sandbox) is configured, crypto when Crypto Pay (or the sandbox) is,
 * Telegram Stars when a Stars rate is set, and the balance always; minus the methods the operator
 * switched off (PAYMENT_METHODS_DISABLED).
 */
import type { PaymentProviders } from '../lib/payments/payments-config';
import type { PaymentMethod } from '../sql/schemas/payment-row';

/** Display order of the methods. */
export const METHOD_ORDER: readonly PaymentMethod[] = ['sbp', 'card', 'crypto', 'stars', 'balance'];

/** The methods on offer, in {@link METHOD_ORDER}. */
export function availablePaymentMethods(
  providers: PaymentProviders,
  starsKopecksPerStar: number | 'disabled',
  disabled: readonly PaymentMethod[] = [],
): PaymentMethod[] {
  return METHOD_ORDER.filter((method) => {
    if (disabled.includes(method)) return false;
    switch (method) {
      case 'sbp':
      case 'card':
      case 'crypto':
        return providers.forMethod(method) !== undefined;
      case 'stars':
        return starsKopecksPerStar !== 'disabled';
      case 'balance':
        return true;
    }
  });
}
