import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { startFakeCryptoPay, type FakeCryptoPay } from '../../../fakes/cryptopay';
import type { WebhookRejectedError } from '../payment-errors';
import { matchesOrder, type CreateInvoiceInput, type PaymentProvider } from '../payment-provider';
import { startWebhookReceiver } from '../../../test/support/start-webhook-receiver';
import { createCryptoPayProvider, type CryptoPayProviderOptions } from './cryptopay-provider';
import { cryptoPaySignature, verifyCryptoPaySignature } from './cryptopay-signature';
import { rejectsWithPaymentError } from '../../../test/support/rejects-with-payment-error';

const TOKEN = '12345:AAexampleTokenForTests';
const closers: Array<() => Promise<void>> = [];
after(() => Promise.all(closers.map((close) => close())));

async function setup(providerOptions: Partial<CryptoPayProviderOptions> = {}, webhookUrl?: string) {
  const fake: FakeCryptoPay = await startFakeCryptoPay({ token: TOKEN, webhookRetryDelaysMs: [5], ...(webhookUrl ? { webhookUrl } : {}) });
  closers.push(() => fake.close());
  const provider = createCryptoPayProvider({ token: TOKEN, baseUrl: fake.apiUrl, timeoutMs: 2000, ...providerOptions });
  return { fake, provider };
}

async function setupWithWebhooks(failFirst = 0) {
  let provider: PaymentProvider | undefined;
  const receiver = await startWebhookReceiver({
    parse: (input) => {
      if (provider === undefined) throw new Error('provider not ready');
      return provider.parseNotification(input);
    },
    failFirst,
  });
  closers.push(() => receiver.close());
  const made = await setup({}, receiver.url);
  provider = made.provider;
  return { ...made, receiver };
}

const order = (overrides: Partial<CreateInvoiceInput> = {}): CreateInvoiceInput => ({
  orderId: 77,
  amountKopecks: 29_950n,
  currency: 'RUB',
  description: 'VPN, 30 days',
  method: 'crypto',
  returnUrl: 'https://t.me/example_bot?start=paid_77',
  idempotencyKey: 'order-77-attempt-1',
  ...overrides,
});

const rejects = rejectsWithPaymentError;

describe('Crypto Pay provider: invoices', () => {
  it('creates a fiat RUB invoice with payload and expiry, and reads it back', async () => {
    const { fake, provider } = await setup({ invoiceTtlSeconds: 900, acceptedAssets: ['USDT', 'TON'] });
    const before = Date.now();
    const invoice = await provider.createInvoice(order());
    const stored = fake.state.invoices.get(Number(invoice.externalId));
    assert.ok(stored);
    assert.deepEqual(
      [stored.currency_type, stored.fiat, stored.amount, stored.payload, stored.paid_btn_name, stored.paid_btn_url, stored.accepted_assets],
      ['fiat', 'RUB', '299.50', '77', 'callback', 'https://t.me/example_bot?start=paid_77', ['USDT', 'TON']],
    );
    assert.equal(invoice.confirmationUrl, stored.bot_invoice_url);
    const ttl = (invoice.expiresAt?.getTime() ?? 0) - before;
    assert.ok(ttl > 890_000 && ttl <= 901_000, `expires in about 900 s, got ${ttl} ms`);
    assert.deepEqual(await provider.fetchStatus(invoice.externalId), {
      externalId: invoice.externalId,
      status: 'pending',
      amountKopecks: 29_950n,
      currency: 'RUB',
      orderId: 77,
    });
  });

  it('reuses the active invoice of the same order and amount on a retry; a new amount gets a new invoice', async () => {
    const { fake, provider } = await setup();
    const first = await provider.createInvoice(order());
    const retry = await provider.createInvoice(order());
    assert.equal(retry.externalId, first.externalId);
    const other = await provider.createInvoice(order({ amountKopecks: 10_000n, idempotencyKey: 'order-77-attempt-2' }));
    assert.notEqual(other.externalId, first.externalId);
    assert.equal(fake.state.invoices.size, 2);
    const noReuse = await setup({ reuseActiveInvoice: false });
    await noReuse.provider.createInvoice(order());
    await noReuse.provider.createInvoice(order());
    assert.equal(noReuse.fake.state.invoices.size, 2);
  });

  it('refuses card/SBP and bad input before any call', async () => {
    const { fake, provider } = await setup();
    await assert.rejects(provider.createInvoice(order({ method: 'card' })), RangeError);
    await assert.rejects(provider.createInvoice(order({ amountKopecks: -1n })), RangeError);
    await assert.rejects(provider.fetchStatus('abc'), RangeError);
    assert.equal(fake.controls.calls.length, 0);
    assert.throws(() => createCryptoPayProvider({ token: TOKEN, invoiceTtlSeconds: 0 }), RangeError);
  });

  it('reports paid (with paidAt) and expired; deleteInvoice cancels, after which the invoice is not found', async () => {
    const { fake, provider } = await setup();
    const paid = await provider.createInvoice(order());
    fake.controls.pay(Number(paid.externalId));
    const snapshot = await provider.fetchStatus(paid.externalId);
    assert.equal(snapshot.status, 'succeeded');
    assert.ok(snapshot.paidAt instanceof Date);
    const late = await provider.createInvoice(order({ orderId: 78 }));
    fake.controls.expire(Number(late.externalId));
    assert.equal((await provider.fetchStatus(late.externalId)).status, 'expired');
    const dropped = await provider.createInvoice(order({ orderId: 79 }));
    await provider.cancelInvoice(dropped.externalId);
    assert.equal((await rejects(provider.fetchStatus(dropped.externalId))).code, 'PAYMENT_NOT_FOUND');
    assert.equal((await rejects(provider.cancelInvoice(dropped.externalId))).code, 'PAYMENT_NOT_FOUND');
  });

  it('expires invoices past expires_in on the fake', async () => {
    const { fake, provider } = await setup({ invoiceTtlSeconds: 1 });
    const invoice = await provider.createInvoice(order());
    const stored = fake.state.invoices.get(Number(invoice.externalId));
    assert.ok(stored);
    stored.expiration_date = new Date(Date.now() - 1).toISOString();
    assert.equal((await provider.fetchStatus(invoice.externalId)).status, 'expired');
  });

  it('maps the ok:false envelope, 401 and 5xx onto typed errors without leaking the token', async () => {
    const { fake, provider } = await setup();
    fake.controls.failNext(1, { kind: 'error', code: 400, name: 'AMOUNT_TOO_SMALL' });
    const rejected = await rejects(provider.createInvoice(order({ idempotencyKey: 'k1' })));
    assert.deepEqual(
      [rejected.code, rejected.retryable, (rejected as unknown as { providerCode: string }).providerCode],
      ['PAYMENT_REJECTED', false, 'AMOUNT_TOO_SMALL'],
    );
    fake.controls.failNext(1, { kind: '500' });
    const down = await rejects(provider.fetchStatus('1001'));
    assert.deepEqual([down.code, down.retryable], ['PAYMENT_UNAVAILABLE', true]);
    const wrong = createCryptoPayProvider({ token: '999:wrong-token', baseUrl: fake.apiUrl });
    const auth = await rejects(wrong.createInvoice(order()));
    assert.deepEqual([auth.code, auth.retryable], ['PAYMENT_AUTH_FAILED', false]);
    assert.doesNotMatch(`${auth.message} ${String(auth.stack)}`, /wrong-token|AAexample/);
  });
});

describe('Crypto Pay provider: webhooks', () => {
  it('signs as documented: HMAC-SHA256 keyed with the raw SHA-256 of the token', () => {
    const body = '{"update_id":1}';
    const expected = createHmac('sha256', createHash('sha256').update(TOKEN).digest()).update(body).digest('hex');
    assert.equal(cryptoPaySignature(TOKEN, body), expected);
    assert.notEqual(
      cryptoPaySignature(TOKEN, body),
      createHmac('sha256', createHash('sha256').update(TOKEN).digest('hex')).update(body).digest('hex'),
    );
    assert.equal(verifyCryptoPaySignature(TOKEN, Buffer.from(body), expected.toUpperCase()), true);
    assert.equal(verifyCryptoPaySignature(TOKEN, Buffer.from(body), expected.slice(0, 62)), false);
    assert.equal(verifyCryptoPaySignature(TOKEN, Buffer.from(body), undefined), false);
  });

  it('accepts a signed invoice_paid update, redelivered until 200, and confirms it by getInvoices', async () => {
    const { fake, provider, receiver } = await setupWithWebhooks(1);
    const invoice = await provider.createInvoice(order());
    fake.controls.pay(Number(invoice.externalId));
    await fake.controls.webhooks?.settled();
    assert.deepEqual(
      fake.controls.webhooks?.deliveries.map((delivery) => delivery.statuses),
      [[500, 200]],
    );
    const delivered = receiver.received[1];
    assert.ok(delivered);
    assert.equal(delivered.headers['crypto-pay-api-signature'], cryptoPaySignature(TOKEN, delivered.rawBody));
    const update = JSON.parse(delivered.rawBody.toString()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(update), ['update_id', 'update_type', 'request_date', 'payload']);
    assert.equal(update['update_type'], 'invoice_paid');
    const [event] = receiver.events();
    assert.deepEqual(event, {
      provider: 'cryptopay',
      eventKey: invoice.externalId,
      externalId: invoice.externalId,
      orderId: 77,
      kind: 'succeeded',
    });
    const confirmed = await provider.confirmNotification(event!);
    assert.deepEqual(matchesOrder({ id: 77, amountKopecks: 29_950n, currency: 'RUB' }, confirmed), { ok: true });
    assert.equal(confirmed.status, 'succeeded');
  });

  it('duplicates carry new update_ids but the same eventKey', async () => {
    const { fake, provider, receiver } = await setupWithWebhooks();
    const invoice = await provider.createInvoice(order());
    fake.controls.pay(Number(invoice.externalId));
    fake.controls.duplicate(Number(invoice.externalId));
    await fake.controls.webhooks?.settled();
    const updateIds = receiver.received.map((entry) => (JSON.parse(entry.rawBody.toString()) as { update_id: number }).update_id);
    assert.equal(new Set(updateIds).size, 2);
    const keys = receiver.events().map((event) => event.eventKey);
    assert.deepEqual(keys, [invoice.externalId, invoice.externalId]);
  });

  it('rejects bad, missing and re-serialised-then-tampered signatures; reports malformed updates', async () => {
    const { fake, provider, receiver } = await setupWithWebhooks();
    fake.controls.webhooks?.close();
    const body = JSON.stringify({
      update_id: 5,
      update_type: 'invoice_paid',
      request_date: new Date().toISOString(),
      payload: { invoice_id: 1, amount: '1', status: 'paid', created_at: new Date().toISOString(), payload: '77' },
    });
    const forged = await fetch(receiver.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'crypto-pay-api-signature': cryptoPaySignature('other-token', body) },
      body,
    });
    assert.equal(forged.status, 401);
    const parse = (rawBody: string, signature?: string) =>
      provider.parseNotification({
        rawBody: Buffer.from(rawBody),
        headers: signature === undefined ? {} : { 'crypto-pay-api-signature': signature },
        sourceIp: '198.51.100.1',
      });
    const outcome = (fn: () => unknown) => {
      try {
        fn();
        return 'accepted';
      } catch (error) {
        return (error as WebhookRejectedError).reason;
      }
    };
    assert.equal(
      outcome(() => parse(body, cryptoPaySignature(TOKEN, body))),
      'accepted',
    );
    assert.equal(
      outcome(() => parse(body)),
      'bad-signature',
    );
    assert.equal(
      outcome(() => parse(body.replace('"1"', '"100000"'), cryptoPaySignature(TOKEN, body))),
      'bad-signature',
    );
    const pretty = JSON.stringify(JSON.parse(body), null, 2);
    assert.equal(
      outcome(() => parse(pretty, cryptoPaySignature(TOKEN, body))),
      'bad-signature',
      'the raw bytes are signed, not the JSON value',
    );
    assert.equal(
      outcome(() => parse('{"update_id":1}', cryptoPaySignature(TOKEN, '{"update_id":1}'))),
      'malformed',
    );
  });

  it('a validly signed update for another amount fails matchesOrder after confirmation', async () => {
    const { fake, provider } = await setup();
    const cheap = await provider.createInvoice(order({ amountKopecks: 100n }));
    fake.controls.pay(Number(cheap.externalId));
    const body = JSON.stringify({
      update_id: 9,
      update_type: 'invoice_paid',
      request_date: new Date().toISOString(),
      payload: fake.state.invoices.get(Number(cheap.externalId)),
    });
    const event = provider.parseNotification({
      rawBody: Buffer.from(body),
      headers: { 'crypto-pay-api-signature': cryptoPaySignature(TOKEN, body) },
      sourceIp: '::1',
    });
    const confirmed = await provider.confirmNotification(event);
    assert.deepEqual(matchesOrder({ id: 77, amountKopecks: 29_950n, currency: 'RUB' }, confirmed), { ok: false, mismatches: ['amount'] });
  });
});
