/**
 * Test support for the bot (not used by production code): in-memory services, and the real
 * grammY bot long-polling the fake Telegram for the length of a test body.
 */
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { startFakeTelegram, type FakeTelegram, type RecordedCall } from '../../fakes/telegram';
import type { AccountSummary, BotPlan, BotServices, PaymentMethod, RegisterUserInput, SubscriptionDetails } from '../../bot/bot-services';
import { createBot, type BotDeps } from '../../bot/create-bot';
import { defaultTexts } from '../../bot/locales';
import { runBot as startBot } from '../../bot/run-bot';

/** The token tests run the bot with. */
export const TOKEN = '777001:bot-test-secret-token';

/** Plans the fake services sell. */
export const PLANS: BotPlan[] = [
  { id: 1, name: '1 месяц', durationDays: 30, priceKopecks: 24_900, features: { devices: 5, trafficLimitGb: null } },
  { id: 2, name: '3 месяца', durationDays: 90, priceKopecks: 59_950, features: { devices: 5, discountPercent: 20 } },
];

/** The /sub URL of {@link activeSubscription} `id` (a 43-character token, as new_sub_token() makes). */
export const subUrlOf = (id: number): string => `https://vpn.example.test/sub/${'T'.repeat(40)}${String(id).padStart(3, '0')}`;

/**
 * An active provisioned subscription for {@link fakeServices}' `subscriptions`: 12.5 GB used of
 * 100 GB, 5 devices, server NL-1 in Amsterdam, ending 2030-01-15.
 */
export function activeSubscription(
  id: number,
  userId: number,
  overrides: Partial<SubscriptionDetails> = {},
): SubscriptionDetails & { userId: number } {
  return {
    id,
    userId,
    planName: '1 месяц',
    status: 'active',
    endsAt: new Date('2030-01-15T09:00:00Z'),
    vpnKey: `vless://uuid-${id}@nl1.example.test:443?security=reality&type=tcp#sub-${id}`,
    subscriptionUrl: subUrlOf(id),
    trafficUsedBytes: 12.5 * 1024 ** 3,
    trafficLimitBytes: 100 * 1024 ** 3,
    devices: 5,
    server: { name: 'NL-1', location: 'Amsterdam' },
    ...overrides,
  };
}

/**
 * In-memory services: users numbered from 1 in order of /start, purchases and Stars charges
 * recorded, a 3-day trial granted once per user, auto-renewal off until set, nobody an admin.
 * `subscriptions` (push {@link activeSubscription}s) belong to their `userId`; `accounts` holds
 * balances and referral numbers (default: nothing, code `code<userId>`); `languages` records choices;
 * the stored language is Telegram's at registration until the user chooses one, as in the database.
 */
export function fakeServices(overrides: Partial<BotServices> = {}) {
  const subscriptions: Array<SubscriptionDetails & { userId: number }> = [];
  const accounts = new Map<number, AccountSummary>();
  const languages = new Map<number, 'ru' | 'en'>();
  /** users.language_code as the database keeps it: Telegram's at registration, then the user's choice. */
  const storedLanguages = new Map<number, string>();
  const registered: RegisterUserInput[] = [];
  const purchases: Array<{ userId: number; planId: number; method: PaymentMethod }> = [];
  const topUps: Array<{ userId: number; rub: number; method: PaymentMethod }> = [];
  const charges: string[] = [];
  const trials: number[] = [];
  const autoRenew = new Map<number, boolean>();
  const users = new Map<number, number>();
  /** Update ids claimed, kept across bot runs on the same services like the bot_updates table. */
  const claimedUpdates = new Set<number>();
  const services: BotServices = {
    registerUser: async (input) => {
      registered.push(input);
      const known = users.get(input.telegramId);
      if (known !== undefined) return { userId: known, isNew: false };
      users.set(input.telegramId, users.size + 1);
      if (input.languageCode !== undefined) storedLanguages.set(users.size, input.languageCode);
      return { userId: users.size, isNew: true };
    },
    findUser: async (telegramId) => {
      const userId = users.get(telegramId);
      if (userId === undefined) return null;
      const language = storedLanguages.get(userId);
      return language === undefined ? { userId } : { userId, languageCode: language };
    },
    claimUpdate: async ({ updateId, telegramId }) => {
      const fresh = !claimedUpdates.has(updateId);
      claimedUpdates.add(updateId);
      const userId = telegramId === undefined ? undefined : users.get(telegramId);
      const languageCode = userId === undefined ? null : (storedLanguages.get(userId) ?? null);
      return { fresh, user: userId === undefined ? null : { userId, languageCode }, languageCode };
    },
    setLanguage: async ({ userId, language }) => {
      languages.set(userId, language);
      storedLanguages.set(userId, language);
    },
    subscriptionDetails: async ({ userId, subscriptionId }) => {
      const found = subscriptions.find((sub) => sub.id === subscriptionId && sub.userId === userId);
      if (found === undefined) return null;
      const { userId: _owner, ...details } = found;
      return details;
    },
    accountSummary: async (userId) =>
      accounts.get(userId) ?? { balanceKopecks: 0, referralCode: `code${userId}`, invitedCount: 0, bonusEarnedKopecks: 0 },
    listPlans: async () => PLANS,
    applyPromo: async () => null,
    pendingPromo: async () => null,
    giftsOf: async () => [],
    redeemGift: async () => ({ kind: 'refused', reason: 'unknown' }),
    paymentMethods: async () => ['stars', 'card'],
    startPurchase: async (input) => {
      purchases.push(input);
      return input.method === 'card'
        ? { kind: 'redirect', url: 'https://pay.example.test/p/1' }
        : { kind: 'stars-invoice', payload: `order:${purchases.length}`, stars: 150 };
    },
    topUpBounds: () => ({ min: 50, max: 50_000 }),
    startTopUp: async (input) => {
      topUps.push(input);
      if (input.rub < 50 || input.rub > 50_000) return { kind: 'rejected', reason: 'amount-invalid' };
      return input.method === 'card'
        ? { kind: 'redirect', url: `https://pay.example.test/top-up/${topUps.length}` }
        : { kind: 'stars-invoice', payload: `order:top-up-${topUps.length}`, stars: Math.ceil(input.rub / 2) };
    },
    mySubscriptions: async (userId) =>
      subscriptions
        .filter((sub) => sub.userId === userId)
        .map(({ id, planName, status, endsAt, subscriptionUrl }) => ({
          id,
          planName,
          status,
          endsAt,
          ...(subscriptionUrl === undefined ? {} : { subscriptionUrl }),
        })),
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
  return { services, registered, purchases, topUps, charges, trials, autoRenew, subscriptions, accounts, languages, claimedUpdates };
}

/**
 * Runs the real grammY bot as production does (bot/run-bot.ts: @grammyjs/runner, updates in
 * parallel except within a chat) against `fake` until `body` settles, then stops it. A second run
 * with the same services is a restart: the runner leaves its last batch unconfirmed, so the fake
 * delivers it again.
 * The bot logs into the returned lines; the token must never appear in them.
 */
export async function runBot(
  fake: FakeTelegram,
  deps: Pick<BotDeps, 'services'> &
    Partial<Pick<BotDeps, 'operator' | 'supportChatId' | 'renderQr' | 'renewal' | 'pendingKeys' | 'userReachable' | 'admin'>>,
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
  const running = await startBot(bot, { pollTimeoutSeconds: 1 });
  try {
    await body(logs);
  } finally {
    await running.stop();
  }
  assert.ok(!logs.some((line) => line.includes(fake.token)), 'the token never reaches the logs');
}

/** Fakes started by {@link withBot} so far: each numbers its updates in its own range, as one bot's are unique. */
let fakesStarted = 0;

/** {@link runBot} against a new fake Telegram, closed afterwards. */
export async function withBot(
  services: BotServices,
  body: (fake: FakeTelegram, logs: string[]) => Promise<void>,
  extra: Partial<Pick<BotDeps, 'operator' | 'supportChatId' | 'renderQr' | 'renewal' | 'admin'>> = {},
): Promise<void> {
  fakesStarted += 1;
  const fake = await startFakeTelegram({ token: TOKEN, firstUpdateId: fakesStarted * 1_000_000 + 1 });
  try {
    await runBot(fake, { services, ...extra }, (logs) => body(fake, logs));
  } finally {
    await fake.close();
  }
}

/** The next successful sendMessage to `chatId` whose text matches. */
export const message = (fake: FakeTelegram, chatId: number, match: (text: string) => boolean, timeoutMs?: number) =>
  fake.waitFor(
    (call) => call.method === 'sendMessage' && call.ok && call.chatId === chatId && match(String(call.params['text'])),
    timeoutMs,
  );

/** The inline buttons of a call's `reply_markup`, flattened. */
export const buttons = (call: RecordedCall) =>
  (
    call.params['reply_markup'] as { inline_keyboard: Array<Array<{ text: string; callback_data?: string; url?: string }>> }
  ).inline_keyboard.flat();

/** Polls `condition` every 20 ms until it holds, or fails after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
