/**
 * Configuration of the payment providers, as zod fields a process spreads into its own config
 * schema (`z.object({ ...commonFields, ...paymentFields })`), and the factory that builds the
 * configured providers from the parsed values. A provider is on when its credentials are set.
 */
import { z } from 'zod';
import { baseUrl } from '../config/fields';
import { createCryptoPayProvider } from './cryptopay/cryptopay-provider';
import { CRYPTO_PAY_DEFAULT_BASE_URL } from './cryptopay/cryptopay-http';
import { createIpAllowlist } from './ip-allowlist';
import type { PaymentProviderName } from './payment-errors';
import type { ExternalPaymentMethod, PaymentProvider } from './payment-provider';
import type { PaymentLogger } from './provider-http';
import { createSandboxProvider } from './sandbox/sandbox-provider';
import { YOOKASSA_DEFAULT_BASE_URL } from './yookassa/yookassa-http';
import { createYooKassaProvider, YOOKASSA_WEBHOOK_IPS } from './yookassa/yookassa-provider';

const commaList = z.string().transform((text) =>
  text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== ''),
);

const ipList = commaList.refine((entries) => {
  try {
    createIpAllowlist(entries);
    return true;
  } catch {
    return false;
  }
}, 'must be comma-separated IP addresses or CIDRs');

/** Environment fields of the payment providers. */
export const paymentFields = {
  PAYMENT_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000).describe('Bound on each payment API call, in milliseconds'),
  YOOKASSA_SHOP_ID: z.string().min(1).optional().describe('YooKassa shop id; with YOOKASSA_SECRET_KEY turns card/SBP on'),
  YOOKASSA_SECRET_KEY: z.string().min(1).optional().describe('YooKassa secret key (test shops: test_...)'),
  YOOKASSA_API_URL: baseUrl(YOOKASSA_DEFAULT_BASE_URL).describe('YooKassa API root including /v3'),
  YOOKASSA_WEBHOOK_IPS: ipList
    .default(() => [...YOOKASSA_WEBHOOK_IPS])
    .describe('Comma-separated CIDRs YooKassa notifications may come from; default the published list'),
  CRYPTOPAY_TOKEN: z.string().min(1).optional().describe('Crypto Pay app token; turns crypto payments on'),
  CRYPTOPAY_API_URL: baseUrl(CRYPTO_PAY_DEFAULT_BASE_URL).describe('Crypto Pay API root (testnet: https://testnet-pay.crypt.bot/api)'),
  CRYPTOPAY_INVOICE_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(2_678_400)
    .default(3600)
    .describe('How long a crypto invoice can be paid, in seconds'),
  CRYPTOPAY_ASSETS: commaList.optional().describe('Comma-separated assets payers may use (e.g. USDT,TON); default all'),
  STARS_KOPECKS_PER_STAR: z
    .union([z.literal('disabled'), z.coerce.number().int().positive()])
    .default('disabled')
    .describe("Telegram Stars price rate in kopecks per Star (e.g. 180 = 1.80 RUB), or 'disabled'"),
  PAYMENT_METHODS_DISABLED: z
    .string()
    .default('')
    .transform((text, ctx) => {
      const known = ['sbp', 'card', 'crypto', 'stars', 'balance'] as const;
      const methods = text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
      const unknown = methods.filter((method) => !(known as readonly string[]).includes(method));
      if (unknown.length > 0)
        ctx.addIssue({ code: 'custom', message: `unknown payment methods: ${unknown.join(', ')} (known: ${known.join(', ')})` });
      return methods as Array<(typeof known)[number]>;
    })
    .describe(
      'Comma-separated payment methods to switch off even when configured (sbp, card, crypto, stars, balance), e.g. card,sbp to sell in Stars only',
    ),
  SANDBOX_PAY_URL: baseUrl().optional().describe('Base URL of the local sandbox provider (dev only); used where no real provider is set'),
  SANDBOX_PAY_SECRET: z.string().min(8).default('sandbox-dev-secret').describe('Sandbox API and webhook secret (dev only)'),
};

const paymentConfigSchema = z.object(paymentFields);

/** Parsed payment configuration. */
export type PaymentConfig = z.infer<typeof paymentConfigSchema>;

/** The configured providers. */
export interface PaymentProviders {
  readonly byName: Readonly<Partial<Record<PaymentProviderName, PaymentProvider>>>;
  /** Which provider takes `method`: YooKassa for card/SBP, Crypto Pay for crypto, else the sandbox; undefined when none. */
  forMethod(method: ExternalPaymentMethod): PaymentProvider | undefined;
}

/**
 * Builds the providers whose credentials are configured.
 * @throws RangeError when only one of YOOKASSA_SHOP_ID / YOOKASSA_SECRET_KEY is set
 */
export function createPaymentProviders(
  config: PaymentConfig,
  deps: { fetch?: typeof globalThis.fetch; logger?: PaymentLogger } = {},
): PaymentProviders {
  const common = { timeoutMs: config.PAYMENT_TIMEOUT_MS, fetch: deps.fetch, logger: deps.logger };
  if ((config.YOOKASSA_SHOP_ID === undefined) !== (config.YOOKASSA_SECRET_KEY === undefined)) {
    throw new RangeError('set both YOOKASSA_SHOP_ID and YOOKASSA_SECRET_KEY, or neither');
  }
  const byName: Partial<Record<PaymentProviderName, PaymentProvider>> = {};
  if (config.YOOKASSA_SHOP_ID !== undefined && config.YOOKASSA_SECRET_KEY !== undefined) {
    byName.yookassa = createYooKassaProvider({
      ...common,
      shopId: config.YOOKASSA_SHOP_ID,
      secretKey: config.YOOKASSA_SECRET_KEY,
      baseUrl: config.YOOKASSA_API_URL,
      webhookAllowlist: config.YOOKASSA_WEBHOOK_IPS,
    });
  }
  if (config.CRYPTOPAY_TOKEN !== undefined) {
    byName.cryptopay = createCryptoPayProvider({
      ...common,
      token: config.CRYPTOPAY_TOKEN,
      baseUrl: config.CRYPTOPAY_API_URL,
      invoiceTtlSeconds: config.CRYPTOPAY_INVOICE_TTL_SECONDS,
      acceptedAssets: config.CRYPTOPAY_ASSETS,
    });
  }
  if (config.SANDBOX_PAY_URL !== undefined) {
    byName.sandbox = createSandboxProvider({ ...common, baseUrl: config.SANDBOX_PAY_URL, secret: config.SANDBOX_PAY_SECRET });
  }
  Object.freeze(byName);
  return {
    byName,
    forMethod: (method) => (method === 'crypto' ? byName.cryptopay : byName.yookassa) ?? byName.sandbox,
  };
}
