import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UniqueIntegrityConstraintViolationError, type DatabasePool } from 'slonik';
import { AppError, ErrorCode } from '../../lib/errors';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { countAuditLogs, listAuditLogs } from './audit-repository';
import {
  claimPaymentApplication,
  createPayment,
  getPaymentByExternalId,
  listStalePendingPayments,
  markPaymentCancelled,
  markPaymentCompleted,
  markPaymentFailed,
  markPaymentRefunded,
  setPaymentExternalId,
} from './payments-repository';
import { newPayment, newUser, testActor } from '../../test/support/db-fixtures';

let db: TestDatabase;
let pool: DatabasePool;
let userId: number;
const webhook = { type: 'provider_webhook', provider: 'yookassa' } as const;
const isCode = (code: ErrorCode) => (error: unknown) => error instanceof AppError && error.code === code;

before(async () => {
  db = await createTestDatabase();
  pool = db.pool;
  userId = (await newUser(pool)).id;
});
after(async () => db.drop());

describe('payments', () => {
  it('creates a pending payment, idempotently per key, with the amount as exact decimal text', async () => {
    const input = {
      userId,
      subscriptionId: null,
      amount: '249',
      method: 'sbp',
      provider: 'yookassa',
      idempotencyKey: 'order:1',
      actor: testActor,
    } as const;
    const first = await createPayment(pool, input);
    const again = await createPayment(pool, input);
    assert.equal(first.created, true);
    assert.equal(first.payment.amount, '249.00');
    assert.equal(first.payment.status, 'pending');
    assert.equal(first.payment.currency, 'RUB');
    assert.equal(again.created, false);
    assert.equal(again.payment.id, first.payment.id);
    await assert.rejects(createPayment(pool, { ...input, amount: '1.00' }), isCode(ErrorCode.IDEMPOTENCY_KEY_REUSED));
    await assert.rejects(createPayment(pool, { ...input, idempotencyKey: null, amount: '0' }), RangeError);
  });

  it('accepts Telegram Stars as whole XTR amounts', async () => {
    const { payment } = await createPayment(pool, {
      userId,
      subscriptionId: null,
      amount: '150',
      currency: 'XTR',
      method: 'stars',
      provider: 'telegram_stars',
      actor: testActor,
    });
    assert.equal(payment.amount, '150.00');
    assert.equal(payment.currency, 'XTR');
  });

  it('records the provider id once and finds the payment by (provider, external_id)', async () => {
    const payment = await newPayment(pool, { userId });
    await setPaymentExternalId(pool, { paymentId: payment.id, externalId: 'yk-1', externalData: { test: true }, actor: testActor });
    const repeat = await setPaymentExternalId(pool, { paymentId: payment.id, externalId: 'yk-1', actor: testActor });
    assert.deepEqual(repeat.external_data, { test: true });
    assert.equal((await getPaymentByExternalId(pool, { provider: 'yookassa', externalId: 'yk-1' }))?.id, payment.id);
    assert.equal(await getPaymentByExternalId(pool, { provider: 'cryptopay', externalId: 'yk-1' }), null);
    await assert.rejects(
      setPaymentExternalId(pool, { paymentId: payment.id, externalId: 'yk-2', actor: testActor }),
      isCode(ErrorCode.IDEMPOTENCY_KEY_REUSED),
    );
    const other = await newPayment(pool, { userId });
    await assert.rejects(
      setPaymentExternalId(pool, { paymentId: other.id, externalId: 'yk-1', actor: testActor }),
      (error: unknown) =>
        error instanceof UniqueIntegrityConstraintViolationError && error.constraint === 'payments_provider_external_id_key',
    );
  });

  it('completes a payment exactly once and audits who did it', async () => {
    const payment = await newPayment(pool, { userId });
    const receivedAt = new Date('2026-01-02T03:04:05.000Z');
    const first = await markPaymentCompleted(pool, { paymentId: payment.id, actor: webhook, webhookReceivedAt: receivedAt });
    const second = await markPaymentCompleted(pool, { paymentId: payment.id, actor: webhook });
    assert.equal(first.completed, true);
    assert.equal(second.completed, false);
    assert.equal(second.payment.status, 'completed');
    assert.deepEqual(first.payment.webhook_received_at, receivedAt);
    assert.ok(first.payment.completed_at instanceof Date);
    const [created, completed] = await listAuditLogs(pool, { entityType: 'payment', entityId: payment.id });
    assert.equal(created?.action, 'payment.created');
    assert.equal(completed?.action, 'payment.completed');
    assert.equal(completed?.actor, 'provider_webhook');
    assert.equal(completed?.actor_id, 'yookassa');
    await assert.rejects(markPaymentCompleted(pool, { paymentId: 99_999_999, actor: webhook }), isCode(ErrorCode.NOT_FOUND));
  });

  it("lets the provider's late success win over our cancellation, but never completes twice", async () => {
    const payment = await newPayment(pool, { userId });
    assert.equal((await markPaymentCancelled(pool, { paymentId: payment.id, actor: testActor, reason: 'timeout' })).changed, true);
    assert.equal((await markPaymentFailed(pool, { paymentId: payment.id, actor: testActor })).changed, false);
    assert.equal((await markPaymentCompleted(pool, { paymentId: payment.id, actor: webhook })).completed, true);
    assert.equal((await markPaymentCancelled(pool, { paymentId: payment.id, actor: testActor })).changed, false);
  });

  it('refunds only completed payments, once', async () => {
    const pending = await newPayment(pool, { userId });
    assert.equal((await markPaymentRefunded(pool, { paymentId: pending.id, actor: testActor })).changed, false);
    const paid = await newPayment(pool, { userId, completed: true });
    const refunded = await markPaymentRefunded(pool, { paymentId: paid.id, actor: { type: 'operator', telegramId: 7 } });
    assert.equal(refunded.changed, true);
    assert.equal(refunded.payment.status, 'refunded');
    assert.ok(refunded.payment.refunded_at instanceof Date);
    assert.equal((await markPaymentRefunded(pool, { paymentId: paid.id, actor: testActor })).changed, false);
    assert.equal((await markPaymentCompleted(pool, { paymentId: paid.id, actor: testActor })).completed, false);
  });

  it('hands out the right to apply a completed payment once', async () => {
    const pending = await newPayment(pool, { userId });
    assert.equal(await claimPaymentApplication(pool, { paymentId: pending.id, actor: testActor }), null);
    const paid = await newPayment(pool, { userId, completed: true });
    const claims = await Promise.all(
      Array.from({ length: 10 }, () => claimPaymentApplication(pool, { paymentId: paid.id, actor: testActor })),
    );
    assert.equal(claims.filter((c) => c !== null).length, 1);
    assert.equal(await countAuditLogs(pool, { action: 'payment.applied', entityId: paid.id }), 1);
  });

  it('lists stale pending payments for the reconciler', async () => {
    const payment = await newPayment(pool, { userId });
    const stale = await listStalePendingPayments(pool, { olderThan: new Date(Date.now() + 60_000) });
    assert.ok(stale.some((p) => p.id === payment.id));
    assert.ok(stale.every((p) => p.status === 'pending'));
    assert.equal((await listStalePendingPayments(pool, { olderThan: new Date(0) })).length, 0);
  });
});
