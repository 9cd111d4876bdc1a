import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { hmacSha256Hex } from '../../lib/payments/hmac-signature';
import { matchesOrder, type CreateInvoiceInput, type PaymentProvider } from '../../lib/payments/payment-provider';
import { startWebhookReceiver } from '../../test/support/start-webhook-receiver';
import { createSandboxProvider } from '../../lib/payments/sandbox/sandbox-provider';
import { startSandboxCheckout, type SandboxCheckoutOptions } from './sandbox-server';
import { rejectsWithPaymentError } from '../../test/support/rejects-with-payment-error';

const SECRET = 'sandbox-test-secret';
const closers: Array<() => Promise<void>> = [];
after(() => Promise.all(closers.map((close) => close())));

async function setup(extra: Partial<SandboxCheckoutOptions> = {}) {
  let provider: PaymentProvider | undefined;
  const receiver = await startWebhookReceiver({
    parse: (input) => {
      if (provider === undefined) throw new Error('provider not ready');
      return provider.parseNotification(input);
    },
  });
  closers.push(() => receiver.close());
  const sandbox = await startSandboxCheckout({ secret: SECRET, webhookUrl: receiver.url, webhookRetryDelaysMs: [5], ...extra });
  closers.push(() => sandbox.close());
  const sandboxProvider = createSandboxProvider({ baseUrl: sandbox.url, secret: SECRET });
  provider = sandboxProvider;
  return { sandbox, provider: sandboxProvider, receiver };
}

const order = (overrides: Partial<CreateInvoiceInput> = {}): CreateInvoiceInput => ({
  orderId: 5,
  amountKopecks: 24_900n,
  currency: 'RUB',
  description: 'VPN <30 days>',
  method: 'sbp',
  returnUrl: 'https://t.me/example_bot',
  idempotencyKey: 'order-5-attempt-1',
  ...overrides,
});

const rejects = rejectsWithPaymentError;

describe('sandbox provider', () => {
  it('round trip: checkout page, Pay button, signed webhook to the receiver, confirmed status', async () => {
    const { sandbox, provider, receiver } = await setup();
    const invoice = await provider.createInvoice(order());
    assert.equal(invoice.confirmationUrl, `${sandbox.url}/checkout/${invoice.externalId}`);
    const page = await (await fetch(invoice.confirmationUrl)).text();
    assert.match(page, /action="\/checkout\/[^"]+\/pay"/);
    assert.match(page, /action="\/checkout\/[^"]+\/fail"/);
    assert.match(page, /VPN &lt;30 days&gt;/);
    const pressed = await fetch(`${invoice.confirmationUrl}/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
      redirect: 'manual',
    });
    assert.equal(pressed.status, 303);
    assert.equal(pressed.headers.get('location'), `/checkout/${invoice.externalId}`);
    await sandbox.webhooks.settled();
    const [received] = receiver.received;
    assert.equal(received?.status, 200);
    assert.ok(received);
    assert.equal(received.headers['x-sandbox-signature'], hmacSha256Hex(SECRET, received.rawBody));
    assert.equal(received.headers['content-type'], 'application/json');
    assert.deepEqual(receiver.events(), [
      {
        provider: 'sandbox',
        eventKey: `${invoice.externalId}:payment.succeeded`,
        externalId: invoice.externalId,
        orderId: 5,
        kind: 'succeeded',
      },
    ]);
    const confirmed = await provider.confirmNotification(receiver.events()[0]!);
    assert.equal(confirmed.status, 'succeeded');
    assert.ok(confirmed.paidAt instanceof Date);
    assert.deepEqual(matchesOrder({ id: 5, amountKopecks: 24_900n, currency: 'RUB' }, confirmed), { ok: true });
    assert.deepEqual(matchesOrder({ id: 5, amountKopecks: 25_000n, currency: 'RUB' }, confirmed), { ok: false, mismatches: ['amount'] });
    assert.doesNotMatch(await (await fetch(invoice.confirmationUrl)).text(), /\/pay"/, 'no Pay button once paid');
  });

  it('Fail button cancels; a second press changes nothing and sends nothing', async () => {
    const { sandbox, provider, receiver } = await setup();
    const invoice = await provider.createInvoice(order());
    for (let i = 0; i < 2; i += 1) {
      await fetch(`${invoice.confirmationUrl}/fail`, { method: 'POST', redirect: 'manual' });
    }
    await fetch(`${invoice.confirmationUrl}/pay`, { method: 'POST', redirect: 'manual' });
    await sandbox.webhooks.settled();
    assert.deepEqual(
      receiver.events().map((event) => event.kind),
      ['canceled'],
    );
    assert.equal((await provider.fetchStatus(invoice.externalId)).status, 'canceled');
  });

  it('rejects forged webhooks at the receiver', async () => {
    const { provider, receiver } = await setup();
    const invoice = await provider.createInvoice(order());
    const body = JSON.stringify({ event: 'payment.succeeded', invoice: { id: invoice.externalId } });
    for (const signature of [hmacSha256Hex('wrong-secret', body), 'zz', undefined]) {
      const response = await fetch(receiver.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(signature ? { 'x-sandbox-signature': signature } : {}) },
        body,
      });
      assert.equal(response.status, 401);
    }
    const malformed = await fetch(receiver.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-sandbox-signature': hmacSha256Hex(SECRET, body) },
      body,
    });
    assert.equal(malformed.status, 400);
  });

  it('is idempotent by key, cancels, refunds, expires, and maps errors', async () => {
    const { sandbox, provider } = await setup();
    const first = await provider.createInvoice(order());
    assert.equal((await provider.createInvoice(order())).externalId, first.externalId);
    assert.equal((await rejects(provider.createInvoice(order({ amountKopecks: 1n })))).code, 'PAYMENT_REJECTED');
    await provider.cancelInvoice(first.externalId);
    assert.equal((await provider.fetchStatus(first.externalId)).status, 'canceled');
    const paid = await provider.createInvoice(order({ idempotencyKey: 'order-5-attempt-2' }));
    await fetch(`${paid.confirmationUrl}/pay`, { method: 'POST', redirect: 'manual' });
    assert.equal((await rejects(provider.cancelInvoice(paid.externalId))).code, 'PAYMENT_REJECTED');
    const refund = await provider.refund({ externalId: paid.externalId, amountKopecks: 4_900n, idempotencyKey: 'refund-5-1' });
    assert.deepEqual([refund.status, refund.amountKopecks], ['succeeded', 4_900n]);
    assert.equal(
      (await provider.refund({ externalId: paid.externalId, amountKopecks: 4_900n, idempotencyKey: 'refund-5-1' })).refundId,
      refund.refundId,
    );
    assert.equal((await provider.fetchStatus(paid.externalId)).refundedKopecks, 4_900n);
    assert.equal(
      (await rejects(provider.refund({ externalId: paid.externalId, amountKopecks: 20_001n, idempotencyKey: 'refund-5-2' }))).code,
      'PAYMENT_REJECTED',
    );
    const shortLived = await setup({ invoiceTtlMs: 1 });
    const late = await shortLived.provider.createInvoice(order());
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal((await shortLived.provider.fetchStatus(late.externalId)).status, 'expired');
    assert.equal((await fetch(`${late.confirmationUrl}/pay`, { method: 'POST', redirect: 'manual' })).status, 303);
    assert.equal((await shortLived.provider.fetchStatus(late.externalId)).status, 'expired', 'an expired invoice cannot be paid');
    assert.equal((await rejects(provider.fetchStatus('sbx_missing'))).code, 'PAYMENT_NOT_FOUND');
    const intruder = createSandboxProvider({ baseUrl: sandbox.url, secret: 'guess' });
    assert.equal((await rejects(intruder.createInvoice(order()))).code, 'PAYMENT_AUTH_FAILED');
  });
});
