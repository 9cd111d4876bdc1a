import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { PaymentUnavailableError } from '../payment-errors';
import { createYooKassaProvider } from './yookassa-provider';
import { createYooKassaKit, order, rejects, SHOP } from '../../../test/support/yookassa-test-kit';

const kit = createYooKassaKit();
const { setup } = kit;
after(() => kit.close());

describe('YooKassa provider: payments', () => {
  it('creates a one-stage redirect card payment with metadata and reads it back', async () => {
    const { fake, provider } = await setup();
    const invoice = await provider.createInvoice(order({ description: 'x'.repeat(200) }));
    assert.match(invoice.confirmationUrl, new RegExp(`^${fake.url}/checkout/${invoice.externalId}$`));
    const stored = fake.state.payments.get(invoice.externalId);
    assert.deepEqual(stored?.amount, { value: '299.00', currency: 'RUB' });
    assert.equal(stored?.payment_method?.type, 'bank_card');
    assert.deepEqual(stored?.metadata, { orderId: '42' });
    assert.equal(stored?.description?.length, 128);
    assert.equal(stored?.confirmation?.return_url, 'https://t.me/example_bot');
    const post = fake.controls.calls.find((call) => call.method === 'POST');
    assert.equal(post?.idempotenceKey, 'order-42-attempt-1');
    assert.deepEqual(await provider.fetchStatus(invoice.externalId), {
      externalId: invoice.externalId,
      status: 'pending',
      amountKopecks: 29_900n,
      currency: 'RUB',
      orderId: 42,
    });
  });

  it('replays the same payment for the same key; a new key is a new payment; same key + other body is rejected', async () => {
    const { fake, provider } = await setup();
    const first = await provider.createInvoice(order());
    const again = await provider.createInvoice(order());
    assert.equal(again.externalId, first.externalId);
    assert.equal(fake.state.payments.size, 1);
    const second = await provider.createInvoice(order({ idempotencyKey: 'order-42-attempt-2' }));
    assert.notEqual(second.externalId, first.externalId);
    const error = await rejects(provider.createInvoice(order({ amountKopecks: 100n * 100n })));
    assert.equal(error.code, 'PAYMENT_REJECTED');
    assert.equal(error.retryable, false);
  });

  it('sends SBP as payment_method_data sbp; refuses crypto, zero amounts and long keys before any call', async () => {
    const { fake, provider } = await setup();
    const invoice = await provider.createInvoice(order({ method: 'sbp' }));
    assert.equal(fake.state.payments.get(invoice.externalId)?.payment_method?.type, 'sbp');
    fake.controls.calls.length = 0;
    await assert.rejects(provider.createInvoice(order({ method: 'crypto' })), RangeError);
    await assert.rejects(provider.createInvoice(order({ amountKopecks: 0n })), RangeError);
    await assert.rejects(provider.createInvoice(order({ idempotencyKey: 'k'.repeat(65) })), RangeError);
    assert.equal(fake.controls.calls.length, 0);
  });

  it('maps YooKassa 4xx refusals onto PAYMENT_REJECTED with the provider code and parameter', async () => {
    const { provider } = await setup();
    const error = await rejects(provider.createInvoice(order({ amountKopecks: 50n })));
    assert.equal(error.code, 'PAYMENT_REJECTED');
    assert.deepEqual(
      [(error as unknown as { providerCode: string }).providerCode, (error as unknown as { parameter: string }).parameter],
      ['invalid_request', 'amount.value'],
    );
  });

  it('reports succeeded (with paidAt), canceled (with reason) and expired', async () => {
    const { fake, provider } = await setup();
    const paid = await provider.createInvoice(order());
    fake.controls.pay(paid.externalId);
    const snapshot = await provider.fetchStatus(paid.externalId);
    assert.equal(snapshot.status, 'succeeded');
    assert.ok(snapshot.paidAt instanceof Date);
    const declined = await provider.createInvoice(order({ idempotencyKey: 'k2' }));
    fake.controls.cancel(declined.externalId, 'insufficient_funds');
    assert.deepEqual(
      [(await provider.fetchStatus(declined.externalId)).status, (await provider.fetchStatus(declined.externalId)).cancellationReason],
      ['canceled', 'insufficient_funds'],
    );
    const late = await provider.createInvoice(order({ idempotencyKey: 'k3' }));
    fake.controls.expire(late.externalId);
    assert.equal((await provider.fetchStatus(late.externalId)).status, 'expired');
  });

  it('expires unpaid payments on its own after expireAfterMs', async () => {
    const { provider } = await setup({ expireAfterMs: 20 });
    const invoice = await provider.createInvoice(order());
    await new Promise((resolve) => setTimeout(resolve, 60));
    const snapshot = await provider.fetchStatus(invoice.externalId);
    assert.deepEqual([snapshot.status, snapshot.cancellationReason], ['expired', 'expired_on_confirmation']);
  });

  it('waits retry_after on 202 and repeats with the same key; gives up retryably after the bounded tries', async () => {
    const slept: number[] = [];
    const { fake, provider } = await setup({}, { sleep: async (ms) => void slept.push(ms), maxRetryDelayMs: 5000 });
    fake.controls.failNext(1, { kind: '202', retryAfterMs: 1800 });
    const invoice = await provider.createInvoice(order());
    assert.deepEqual(slept, [1800]);
    assert.deepEqual(
      fake.controls.calls.map((call) => [call.status, call.idempotenceKey]),
      [
        [202, 'order-42-attempt-1'],
        [200, 'order-42-attempt-1'],
      ],
    );
    fake.controls.failNext(3, { kind: '202', retryAfterMs: 60_000 });
    const error = (await rejects(provider.createInvoice(order({ idempotencyKey: 'k2' })))) as PaymentUnavailableError;
    assert.deepEqual([error.code, error.reason, error.retryable], ['PAYMENT_UNAVAILABLE', 'still-processing', true]);
    assert.deepEqual(slept.slice(1), [5000, 5000], 'retry_after is capped by maxRetryDelayMs');
    assert.equal(fake.state.payments.size, 1);
    assert.notEqual((await provider.createInvoice(order({ idempotencyKey: 'k2' }))).externalId, invoice.externalId);
  });

  it('repeats a 500 with the same key, so a payment created before the 500 is not duplicated', async () => {
    const { fake, provider } = await setup();
    fake.controls.failNext(1, { kind: '500', applied: true });
    const invoice = await provider.createInvoice(order());
    assert.equal(fake.state.payments.size, 1);
    assert.deepEqual(
      fake.controls.calls.map((call) => call.status),
      [500, 200],
    );
    assert.ok(fake.state.payments.has(invoice.externalId));
    fake.controls.failNext(3, { kind: '500' });
    const error = (await rejects(provider.fetchStatus(invoice.externalId))) as PaymentUnavailableError;
    assert.deepEqual([error.code, error.reason, error.status, error.retryable], ['PAYMENT_UNAVAILABLE', 'http-status', 500, true]);
  });

  it('raises PAYMENT_AUTH_FAILED on 401 without leaking the secret; PAYMENT_NOT_FOUND for unknown ids', async () => {
    const { fake, provider } = await setup({}, { secretKey: 'test_wrong-secret' });
    const error = await rejects(provider.createInvoice(order()));
    assert.deepEqual([error.code, error.retryable], ['PAYMENT_AUTH_FAILED', false]);
    assert.doesNotMatch(`${error.message} ${String(error.stack)}`, /wrong-secret|s3cr3t/);
    const good = createYooKassaProvider({ ...SHOP, baseUrl: fake.apiUrl });
    assert.equal((await rejects(good.fetchStatus('no-such-payment'))).code, 'PAYMENT_NOT_FOUND');
  });

  it('times out as a retryable PAYMENT_UNAVAILABLE', async () => {
    const hanging: typeof fetch = (_url, init) =>
      new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason as Error)));
    const provider = createYooKassaProvider({ ...SHOP, fetch: hanging, timeoutMs: 20 });
    const error = (await rejects(provider.fetchStatus('p'))) as PaymentUnavailableError;
    assert.deepEqual([error.reason, error.retryable], ['timeout', true]);
  });
});

describe('YooKassa provider: refunds', () => {
  it('refunds a paid payment partially then fully, replays by key, refuses unpaid and excess refunds', async () => {
    const { fake, provider } = await setup();
    const invoice = await provider.createInvoice(order());
    const unpaid = await rejects(provider.refund({ externalId: invoice.externalId, amountKopecks: 100n, idempotencyKey: 'refund-42-1' }));
    assert.equal(unpaid.code, 'PAYMENT_REJECTED');
    fake.controls.pay(invoice.externalId);
    const partial = await provider.refund({ externalId: invoice.externalId, amountKopecks: 10_000n, idempotencyKey: 'refund-42-2' });
    assert.deepEqual([partial.status, partial.amountKopecks], ['succeeded', 10_000n]);
    const replay = await provider.refund({ externalId: invoice.externalId, amountKopecks: 10_000n, idempotencyKey: 'refund-42-2' });
    assert.equal(replay.refundId, partial.refundId);
    assert.equal((await provider.fetchStatus(invoice.externalId)).refundedKopecks, 10_000n);
    const excess = await rejects(
      provider.refund({ externalId: invoice.externalId, amountKopecks: 20_000n, idempotencyKey: 'refund-42-3' }),
    );
    assert.equal(excess.code, 'PAYMENT_REJECTED');
    await provider.refund({ externalId: invoice.externalId, amountKopecks: 19_900n, idempotencyKey: 'refund-42-4' });
    assert.equal(fake.state.payments.get(invoice.externalId)?.refundable, false);
    const more = await rejects(provider.refund({ externalId: invoice.externalId, amountKopecks: 1n, idempotencyKey: 'refund-42-5' }));
    assert.equal(more.code, 'PAYMENT_REJECTED');
  });
});
