/**
 * The whole purchase as a person does it, in headless Chromium (Debian's, driven by
 * playwright-core): the bot's purchase service opens the sandbox checkout page, the person
 * clicks Pay, the sandbox sends a signed webhook to the api, the payment workflow confirms it,
 * the subscription workflow provisions the key on the (fake) panel and Telegram delivers it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import { z } from 'zod';
import { createApp } from '../../api/create-app';
import { createLogger } from '../../lib/logger';
import { startSandboxCheckout, type SandboxCheckout } from '../../fakes/sandbox/sandbox-server';
import { createPaymentProviders, paymentFields, type PaymentProviders } from '../../lib/payments/payments-config';
import { signalPaymentVerdict } from '../../clients/payment-workflow-client';
import { createPurchaseService } from '../../usecases/start-purchase';
import { getSubscription, listUserSubscriptions } from '../../sql/repositories/subscriptions-repository';
import { getUserById } from '../../sql/repositories/users-repository';
import { newUser } from '../support/db-fixtures';
import { startRealStack, type RealStack } from '../support/real-stack';

const SECRET = 'sandbox-e2e-secret';

describe('sandbox checkout in a real browser', () => {
  let stack: RealStack;
  let app: FastifyInstance;
  let sandbox: SandboxCheckout;
  let browser: Browser;
  const providers: PaymentProviders = { byName: {}, forMethod: () => undefined };

  before(async () => {
    const executablePath = process.env.TEST_CHROMIUM;
    if (executablePath === undefined || executablePath === '') throw new Error('TEST_CHROMIUM is not set: run through `npm test`');
    stack = await startRealStack();
    const target = { client: stack.temporal.client, taskQueue: stack.taskQueue, timeoutMinutes: 5 };
    app = createApp({
      logger: createLogger({ level: 'silent' }),
      readinessChecks: {},
      webhooks: { db: stack.database.pool, providers, signalVerdict: (payment, hint) => signalPaymentVerdict(target, payment, hint) },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    const apiUrl = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    sandbox = await startSandboxCheckout({ secret: SECRET, webhookUrl: `${apiUrl}/webhooks/sandbox` });
    Object.assign(
      providers,
      createPaymentProviders(z.object(paymentFields).parse({ SANDBOX_PAY_URL: sandbox.url, SANDBOX_PAY_SECRET: SECRET })),
    );
    stack.deps.payments = {
      providers,
      temporal: { client: stack.temporal.client, taskQueue: stack.taskQueue },
      returnUrl: `${apiUrl}/payments/return`,
    };
    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  after(async () => {
    await browser?.close();
    await sandbox?.close();
    await app?.close();
    await stack?.close();
  });

  it('click Pay on the checkout page: the key arrives in Telegram', async () => {
    const pool = stack.database.pool;
    const user = await newUser(pool);
    const telegramId = (await getUserById(pool, user.id))?.telegram_id;
    await stack.run(async () => {
      const purchases = createPurchaseService({
        db: pool,
        payments: { client: stack.temporal.client, taskQueue: stack.taskQueue, timeoutMinutes: 5 },
        providers,
        starsKopecksPerStar: 'disabled',
        invoiceWaitMs: 30_000,
      });
      const start = await purchases.startPurchase({ userId: user.id, planId: 1, method: 'card' });
      assert.equal(start.kind, 'redirect');
      assert.ok(start.kind === 'redirect' && start.url.startsWith(sandbox.url));

      const page = await browser.newPage();
      await page.goto(start.url);
      await page.getByRole('button', { name: /^Pay / }).click();
      await page.waitForLoadState('load');
      await page.close();

      const photo = await stack.telegram.waitFor((call) => call.method === 'sendPhoto' && call.chatId === telegramId, 30_000);
      assert.equal(photo.ok, true);
      const [subscription] = await listUserSubscriptions(pool, user.id);
      assert.ok(subscription !== undefined);
      const row = await getSubscription(pool, subscription.id);
      assert.equal(row?.status, 'active');
      assert.match(row?.vpn_key ?? '', /^vless:\/\//);
      assert.equal(stack.panel.state.clients().filter(({ client }) => client['email'] === row?.xui_email).length, 1);
    });
  });
});
