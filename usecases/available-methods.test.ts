import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { paymentFields, type PaymentProviders } from '../lib/payments/payments-config';
import type { PaymentProvider } from '../lib/payments/payment-provider';
import { availablePaymentMethods } from './available-methods';

const cardAndCrypto: PaymentProviders = { byName: {}, forMethod: () => ({ name: 'sandbox' }) as unknown as PaymentProvider };
const none: PaymentProviders = { byName: {}, forMethod: () => undefined };

describe('availablePaymentMethods', () => {
  it('offers what is configured, balance always, Stars only with a rate', () => {
    assert.deepEqual(availablePaymentMethods(cardAndCrypto, 'disabled'), ['sbp', 'card', 'crypto', 'balance']);
    assert.deepEqual(availablePaymentMethods(none, 180), ['stars', 'balance']);
  });

  it('lets the operator switch any method off', () => {
    assert.deepEqual(availablePaymentMethods(cardAndCrypto, 180, ['card', 'sbp', 'crypto']), ['stars', 'balance']);
    assert.deepEqual(availablePaymentMethods(cardAndCrypto, 180, ['balance']), ['sbp', 'card', 'crypto', 'stars']);
  });

  it('parses PAYMENT_METHODS_DISABLED and names unknown methods', () => {
    const schema = z.object({ PAYMENT_METHODS_DISABLED: paymentFields.PAYMENT_METHODS_DISABLED });
    assert.deepEqual(schema.parse({ PAYMENT_METHODS_DISABLED: 'card, sbp' }).PAYMENT_METHODS_DISABLED, ['card', 'sbp']);
    assert.deepEqual(schema.parse({}).PAYMENT_METHODS_DISABLED, []);
    const refused = schema.safeParse({ PAYMENT_METHODS_DISABLED: 'card,paypal' });
    assert.equal(refused.success, false);
    assert.match(JSON.stringify(refused.error?.issues), /paypal/);
  });
});
