/**
 * Shared set-up of the YooKassa provider tests: a fake YooKassa, a provider pointed at it, and
 * optionally a webhook receiver that trusts `x-forwarded-for` as the api will behind its proxy.
 */
import { startFakeYooKassa, type FakeYooKassa, type FakeYooKassaOptions } from '../../fakes/yookassa';
import type { CreateInvoiceInput, PaymentProvider } from '../../lib/payments/payment-provider';
import { startWebhookReceiver, type WebhookReceiver } from './start-webhook-receiver';
import { createYooKassaProvider, type YooKassaProviderOptions } from '../../lib/payments/yookassa/yookassa-provider';
import { rejectsWithPaymentError } from './rejects-with-payment-error';

/** Test shop credentials. */
export const SHOP = { shopId: '123456', secretKey: 'test_s3cr3t-key' };

/** Creates a kit whose servers `close()` stops. */
export function createYooKassaKit() {
  const closers: Array<() => Promise<void>> = [];

  async function setup(fakeOptions: Partial<FakeYooKassaOptions> = {}, providerOptions: Partial<YooKassaProviderOptions> = {}) {
    const fake: FakeYooKassa = await startFakeYooKassa({ ...SHOP, ...fakeOptions });
    closers.push(() => fake.close());
    const provider = createYooKassaProvider({ ...SHOP, baseUrl: fake.apiUrl, retryDelayMs: 5, timeoutMs: 2000, ...providerOptions });
    return { fake, provider };
  }

  /** A fake with notifications going to a receiver that trusts x-forwarded-for. */
  async function setupWithWebhooks(failFirst = 0) {
    let provider: PaymentProvider | undefined;
    const receiver: WebhookReceiver = await startWebhookReceiver({
      parse: (input) => {
        if (provider === undefined) throw new Error('provider not ready');
        return provider.parseNotification(input);
      },
      failFirst,
    });
    closers.push(() => receiver.close());
    const made = await setup({ webhookUrl: receiver.url, sourceIpHeader: 'x-forwarded-for', webhookRetryDelaysMs: [5] });
    provider = made.provider;
    return { ...made, receiver };
  }

  return { setup, setupWithWebhooks, close: () => Promise.all(closers.map((close) => close())) };
}

/** A card order for `payments.id` 42, 299.00 RUB. */
export const order = (overrides: Partial<CreateInvoiceInput> = {}): CreateInvoiceInput => ({
  orderId: 42,
  amountKopecks: 29_900n,
  currency: 'RUB',
  description: 'VPN, 30 days',
  method: 'card',
  returnUrl: 'https://t.me/example_bot',
  idempotencyKey: 'order-42-attempt-1',
  ...overrides,
});

/** Awaits `promise`, asserts it rejects with a PaymentError, and returns that error. */
export const rejects = rejectsWithPaymentError;
