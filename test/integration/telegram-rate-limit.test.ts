/**
 * Telegram's 429 with a long retry_after on the real stack: the key message's activity does not
 * retry after one second (Temporal's backoff) but when Telegram said, through the activity's own
 * nextRetryDelay. Telegram's seconds are scaled down 10x (retry_after=45 → 4.5 s) so the test is quick.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTelegramSender } from '../../activities/telegram-sender';
import { creditBalance } from '../../sql/repositories/ledger-repository';
import { createPurchaseService } from '../../usecases/start-purchase';
import { newUser, testActor } from '../support/db-fixtures';
import { startRealStack, type RealStack } from '../support/real-stack';

const SCALE = 0.1;
let stack: RealStack;

before(async () => {
  stack = await startRealStack();
  stack.deps.telegram = createTelegramSender({
    token: stack.telegram.token,
    apiRoot: stack.telegram.apiRoot,
    maxDelaySeconds: 2,
    retryAfterScale: SCALE,
  });
  const none = { byName: {}, forMethod: () => undefined };
  stack.deps.payments = {
    providers: none,
    temporal: { client: stack.temporal.client, taskQueue: stack.taskQueue },
    returnUrl: 'https://vpn.example.com/payments/return',
  };
});
after(async () => stack?.close());

describe('worker Telegram sender under a long 429', () => {
  it('delivers the key after retry_after=45 (scaled), with one failed attempt, not retries every second', async () => {
    const db = stack.database.pool;
    const purchases = createPurchaseService({
      db,
      payments: { client: stack.temporal.client, taskQueue: stack.taskQueue, timeoutMinutes: 60 },
      providers: { byName: {}, forMethod: () => undefined },
      starsKopecksPerStar: 'disabled',
    });
    const user = await newUser(db);
    await creditBalance(db, {
      userId: user.id,
      amount: '2000.00',
      reason: 'top_up',
      idempotencyKey: `rl-topup-${user.id}`,
      actor: testActor,
    });
    stack.telegram.injectRateLimit('sendPhoto', 45);
    await stack.run(async () => {
      assert.deepEqual(await purchases.startPurchase({ userId: user.id, planId: 1, method: 'balance' }), { kind: 'done' });
      await stack.telegram.waitFor((call) => call.chatId === user.telegram_id && call.method === 'sendPhoto' && !call.ok, 30_000);
      const limitedAt = Date.now();
      await stack.telegram.waitFor((call) => call.chatId === user.telegram_id && call.method === 'sendPhoto' && call.ok, 30_000);
      const waited = Date.now() - limitedAt;
      assert.ok(waited >= 45_000 * SCALE - 300, `the retry waited retry_after (${waited} ms)`);
      const photos = stack.telegram.sent(user.telegram_id).filter((call) => call.method === 'sendPhoto');
      assert.deepEqual(
        photos.map((call) => call.ok),
        [false, true],
        'one refused attempt, then the delivery',
      );
    });
  });
});
