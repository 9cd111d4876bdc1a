/**
 * The fake YooKassa and CryptoPay, their webhooks pointed at a running webhook API
 * (test/support/webhook-api.ts), and the real providers configured against them as production
 * parses its payment config (2 s provider timeout).
 */
import { z } from 'zod';
import { startFakeCryptoPay, type FakeCryptoPay } from '../../fakes/cryptopay';
import { startFakeYooKassa, type FakeYooKassa } from '../../fakes/yookassa';
import { createPaymentProviders, paymentFields, type PaymentProviders } from '../../lib/payments/payments-config';

/** The running fakes and the providers that talk to them. */
export interface FakeCardAndCryptoProviders {
  yookassa: FakeYooKassa;
  cryptopay: FakeCryptoPay;
  byName: PaymentProviders['byName'];
}

/** Starts both fakes (webhook retries after 20, 100, 250 ms); the caller closes them. */
export async function startFakeCardAndCryptoProviders(input: {
  apiUrl: string;
  shop: { shopId: string; secretKey: string };
  cryptoToken: string;
}): Promise<FakeCardAndCryptoProviders> {
  const { apiUrl, shop, cryptoToken } = input;
  const yookassa = await startFakeYooKassa({
    ...shop,
    webhookUrl: `${apiUrl}/webhooks/yookassa`,
    sourceIpHeader: 'x-forwarded-for',
    webhookRetryDelaysMs: [20, 100, 250],
  });
  let cryptopay: FakeCryptoPay;
  try {
    cryptopay = await startFakeCryptoPay({
      token: cryptoToken,
      webhookUrl: `${apiUrl}/webhooks/cryptopay`,
      webhookRetryDelaysMs: [20, 100, 250],
    });
  } catch (error) {
    await yookassa.close();
    throw error;
  }
  const configured = createPaymentProviders(
    z.object(paymentFields).parse({
      YOOKASSA_SHOP_ID: shop.shopId,
      YOOKASSA_SECRET_KEY: shop.secretKey,
      YOOKASSA_API_URL: yookassa.apiUrl,
      CRYPTOPAY_TOKEN: cryptoToken,
      CRYPTOPAY_API_URL: cryptopay.apiUrl,
      PAYMENT_TIMEOUT_MS: '2000',
    }),
  );
  return { yookassa, cryptopay, byName: configured.byName };
}
