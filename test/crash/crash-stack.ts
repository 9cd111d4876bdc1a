/**
 * The whole system on the test servers, for the crash suite: the real stack (Postgres, the
 * Temporal dev server, the fake Telegram and 3X-UI panel, every real activity), plus the api's
 * webhook routes with the fake YooKassa and Crypto Pay sending real webhooks, the purchase and
 * trial services, the real grammY bot (Telegram Stars checkouts go through it) and the operator
 * actions. One worker per test file runs every workflow with every activity wrapped by the
 * crash injector.
 */
import { randomBytes } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import type { FastifyInstance } from 'fastify';
import type { Bot } from 'grammy';
import { pino } from 'pino';
import { sql } from 'slonik';
import { z } from 'zod';
import type { ActivityDeps } from '../../activities/create-activities';
import { createActivities } from '../../activities/create-activities';
import { checkInvariants, type InvariantReport } from '../../activities/invariants';
import type { BotContext } from '../../bot/bot-context';
import { createBot } from '../../bot/create-bot';
import { createBotServices } from '../../bot/create-bot-services';
import { defaultTexts } from '../../bot/locales';
import { createOperatorActions } from '../../usecases/operator-actions';
import type { OperatorActions } from '../../usecases/operator-types';
import type { FakeCryptoPay } from '../../fakes/cryptopay';
import type { FakeYooKassa } from '../../fakes/yookassa';
import type { PaymentProviderName } from '../../lib/payments/payment-errors';
import type { PaymentProvider } from '../../lib/payments/payment-provider';
import type { PaymentProviders } from '../../lib/payments/payments-config';
import type { PaymentWorkflowTarget } from '../../clients/payment-workflow-client';
import { createPurchaseService, type PurchaseService } from '../../usecases/start-purchase';
import { createStarsCheckout } from '../../usecases/stars-checkout';
import { createTrialService, type TrialService } from '../../usecases/start-trial';
import { createWorker } from '../../workers/create-worker';
import type { LifecycleSettings } from '../../workflows/subscription-lifecycle';
import { startFakeCardAndCryptoProviders } from '../support/fake-payment-providers';
import { startWebhookApi } from '../support/webhook-api';
import { startRealStack, type RealStack } from '../support/real-stack';
import { installQuietRuntime } from '../support/test-temporal';
import { createCrashInjector, INJECTED_CRASH, type CrashInjector } from './crash-injector';

/** Telegram Stars price rate of the stack, in kopecks per Star (249 ₽ = 139 Stars). */
export const KOPECKS_PER_STAR = 180;

/** Options of {@link startCrashStack}. */
export interface CrashStackOptions {
  /** Lifecycle timings of new subscription workflows. */
  lifecycle?: Partial<LifecycleSettings>;
  /** Start the api with the fake YooKassa and Crypto Pay (purchases by card and crypto). */
  providers?: boolean;
  /** Start the bot on the fake Telegram (Stars checkouts). */
  bot?: boolean;
}

/** A running crash stack. */
export interface CrashStack {
  real: RealStack;
  injector: CrashInjector;
  /** The same activities, unwrapped: setups call them directly (outside any workflow, never injected). */
  activities: ReturnType<typeof createActivities>;
  /** The price plan every path buys ('1 месяц', 30 days, 249 ₽). */
  planId: number;
  purchases: PurchaseService;
  trial: TrialService;
  operator: OperatorActions;
  target: PaymentWorkflowTarget;
  yookassa: FakeYooKassa | null;
  cryptopay: FakeCryptoPay | null;
  /** The invariant checker over this stack's database and panels (nothing in flight is excused). */
  check(): Promise<InvariantReport>;
  close(): Promise<void>;
}

const SHOP = { shopId: '654321', secretKey: 'test_crash-suite-key' };
const CRYPTO_TOKEN = '54321:AAcrashsuitetoken';

/** Starts the stack and its one instrumented worker. */
export async function startCrashStack(options: CrashStackOptions = {}): Promise<CrashStack> {
  installQuietRuntime({
    drop: (entry) =>
      JSON.stringify(entry.meta ?? {}, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value)).includes(
        INJECTED_CRASH,
      ),
  });
  const real = await startRealStack(options.lifecycle === undefined ? {} : { lifecycle: options.lifecycle });
  const { database, temporal } = real;
  const db = database.pool;
  const target: PaymentWorkflowTarget = { client: temporal.client, taskQueue: real.taskQueue, timeoutMinutes: 30 };
  const byName: Partial<Record<PaymentProviderName, PaymentProvider>> = {};
  const providers: PaymentProviders = { byName, forMethod: (method) => (method === 'crypto' ? byName.cryptopay : byName.yookassa) };
  const closers: Array<() => Promise<unknown>> = [];
  const planId = await db.oneFirst(sql.type(z.object({ id: z.number() }))`SELECT id FROM subscription_plans WHERE name = '1 месяц'`);

  let app: FastifyInstance | null = null;
  let yookassa: FakeYooKassa | null = null;
  let cryptopay: FakeCryptoPay | null = null;
  if (options.providers === true) {
    const webhookApi = await startWebhookApi({ db, providers, target });
    app = webhookApi.app;
    const { apiUrl } = webhookApi;
    const fakes = await startFakeCardAndCryptoProviders({ apiUrl, shop: SHOP, cryptoToken: CRYPTO_TOKEN });
    ({ yookassa, cryptopay } = fakes);
    Object.assign(byName, fakes.byName);
    const [api, yoo, crypto] = [app, fakes.yookassa, fakes.cryptopay];
    closers.push(
      () => api.close(),
      () => yoo.close(),
      () => crypto.close(),
    );
  }

  const deps: ActivityDeps = {
    ...real.deps,
    payments: { providers, temporal: { client: temporal.client, taskQueue: real.taskQueue }, returnUrl: 'https://t.me/crash_suite_bot' },
  };
  const injector = createCrashInjector();
  const worker: Worker = await createWorker({
    connection: temporal.nativeConnection,
    namespace: 'default',
    taskQueue: real.taskQueue,
    deps,
    shutdownGraceTimeMs: 1_000,
    overrides: { activities: injector.wrap(createActivities(deps)), identity: `crash-suite-${randomBytes(4).toString('hex')}` },
  });
  const running = worker.run();

  const purchases = createPurchaseService({
    db,
    payments: target,
    providers,
    starsKopecksPerStar: KOPECKS_PER_STAR,
    invoiceWaitMs: 30_000,
  });
  const trial = createTrialService({ db, client: temporal.client, taskQueue: real.taskQueue, trialDays: 3 });
  let bot: Bot<BotContext> | null = null;
  let polling: Promise<void> | null = null;
  if (options.bot === true) {
    const started = createBot({
      token: real.telegram.token,
      apiRoot: real.telegram.apiRoot,
      logger: pino({ level: 'silent' }),
      texts: defaultTexts,
      services: createBotServices({
        db,
        adminTelegramIds: [],
        paymentMethods: [],
        purchases,
        stars: createStarsCheckout({ db, payments: target }),
        trial,
      }),
      throttle: { out: { maxConcurrent: 4, minTime: 0 } },
    });
    let onStart!: () => void;
    const ready = new Promise<void>((resolve) => (onStart = resolve));
    polling = started.start({ allowed_updates: ['message', 'callback_query', 'pre_checkout_query'], onStart: () => onStart() });
    await Promise.race([ready, polling]);
    bot = started;
  }

  return {
    real,
    injector,
    activities: createActivities(deps),
    planId,
    purchases,
    trial,
    operator: createOperatorActions({ client: temporal.client, db, updateWaitMs: 60_000 }),
    target,
    yookassa,
    cryptopay,
    check: () => checkInvariants({ db, panels: real.deps.panels, clientIdSalt: real.deps.clientIdSalt }, { settleSeconds: 0 }),
    close: async () => {
      if (bot !== null) await bot.stop();
      await polling;
      worker.shutdown();
      await running;
      for (const close of closers) await close();
      await real.close();
    },
  };
}
