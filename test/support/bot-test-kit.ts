/**
 * Test support for the bot (not used by production code): in-memory services, and the real
 * grammY bot long-polling the fake Telegram for the length of a test body.
 */
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { startFakeTelegram, type FakeTelegram, type RecordedCall } from '../../fakes/telegram';
import type { BotPlan, BotServices, PaymentMethod, RegisterUserInput } from '../../bot/bot-services';
import { createBot, type BotDeps } from '../../bot/create-bot';
import { defaultTexts } from '../../bot/locales';

/** The token tests run the bot with. */
export const TOKEN = '777001:bot-test-secret-token';

/** Plans the fake services sell. */
export const PLANS: BotPlan[] = [
  { id: 1, name: '1 месяц', durationDays: 30, priceKopecks: 24_900, features: { devices: 5, trafficLimitGb: null } },
  { id: 2, name: '3 месяца', durationDays: 90, priceKopecks: 59_950, features: { devices: 5, discountPercent: 20 } },
];

/**
 * In-memory services: users numbered from 1 in order of /start, purchases and Stars charges
 * recorded, a 3-day trial granted once per user, auto-renewal off until set, nobody an admin.
 */
export function fakeServices(overrides: Partial<BotServices> = {}) {
  const registered: RegisterUserInput[] = [];
  const purchases: Array<{ userId: number; planId: number; method: PaymentMethod }> = [];
  const charges: string[] = [];
  const trials: number[] = [];
  const autoRenew = new Map<number, boolean>();
  const users = new Map<number, number>();
  const services: BotServices = {
    registerUser: async (input) => {
      registered.push(input);
      const known = users.get(input.telegramId);
      if (known !== undefined) return { userId: known, isNew: false };
      users.set(input.telegramId, users.size + 1);
      return { userId: users.size, isNew: true };
    },
    findUser: async (telegramId) => {
      const userId = users.get(telegramId);
      return userId === undefined ? null : { userId };
    },
    listPlans: async () => PLANS,
    rememberPromoCode: async () => null,
    rememberedPromo: async () => null,
    paymentMethods: async () => ['stars', 'card'],
    startPurchase: async (input) => {
      purchases.push(input);
      return input.method === 'card'
        ? { kind: 'redirect', url: 'https://pay.example.test/p/1' }
        : { kind: 'stars-invoice', payload: `order:${purchases.length}`, stars: 150 };
    },
    mySubscriptions: async () => [],
    checkStarsCheckout: async (checkout) =>
      checkout.invoicePayload.startsWith('order:') && checkout.totalAmount === 150 ? { ok: true } : { ok: false, reason: 'unknown-order' },
    completeStarsPayment: async (payment) => {
      const duplicate = charges.includes(payment.telegramPaymentChargeId);
      charges.push(payment.telegramPaymentChargeId);
      return { status: duplicate ? 'duplicate' : 'accepted' };
    },
    trialDays: () => 3,
    startTrial: async ({ userId }) => {
      if (trials.includes(userId)) return { kind: 'refused', reason: 'already-used' };
      trials.push(userId);
      return { kind: 'started', days: 3 };
    },
    getAutoRenew: async (userId) => autoRenew.get(userId) ?? false,
    setAutoRenew: async ({ userId, enabled }) => void autoRenew.set(userId, enabled),
    isAdmin: async () => false,
    ...overrides,
  };
  return { services, registered, purchases, charges, trials, autoRenew };
}

/**
 * Runs the real grammY bot with long polling against `fake` until `body` settles, then stops it.
 * The bot logs into the returned lines; the token must never appear in them.
 */
export async function runBot(
  fake: FakeTelegram,
  deps: Pick<BotDeps, 'services'> & Partial<Pick<BotDeps, 'operator'>>,
  body: (logs: string[]) => Promise<void>,
): Promise<void> {
  const logs: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  const bot = createBot({
    token: fake.token,
    apiRoot: fake.apiRoot,
    logger,
    texts: defaultTexts,
    throttle: { out: { maxConcurrent: 1, minTime: 0 } },
    ...deps,
  });
  let onStart!: () => void;
  const started = new Promise<void>((resolve) => (onStart = resolve));
  const running = bot.start({ onStart: () => onStart() });
  void running.catch(() => undefined);
  try {
    await Promise.race([started, running]);
    await body(logs);
  } finally {
    await bot.stop();
    await running;
  }
  assert.ok(!logs.some((line) => line.includes(fake.token)), 'the token never reaches the logs');
}

/** {@link runBot} against a new fake Telegram, closed afterwards. */
export async function withBot(
  services: BotServices,
  body: (fake: FakeTelegram, logs: string[]) => Promise<void>,
  extra: Partial<Pick<BotDeps, 'operator'>> = {},
): Promise<void> {
  const fake = await startFakeTelegram({ token: TOKEN });
  try {
    await runBot(fake, { services, ...extra }, (logs) => body(fake, logs));
  } finally {
    await fake.close();
  }
}

/** The next successful sendMessage to `chatId` whose text matches. */
export const message = (fake: FakeTelegram, chatId: number, match: (text: string) => boolean, timeoutMs?: number) =>
  fake.waitFor((call) => call.method === 'sendMessage' && call.ok && call.chatId === chatId && match(String(call.params['text'])), timeoutMs);

/** The inline buttons of a call's `reply_markup`, flattened. */
export const buttons = (call: RecordedCall) =>
  (call.params['reply_markup'] as { inline_keyboard: Array<Array<{ text: string; callback_data?: string; url?: string }>> }).inline_keyboard.flat();

/** Polls `condition` every 20 ms until it holds, or fails after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
