import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { WebhookRejectedError } from '../payment-errors';
import { matchesOrder } from '../payment-provider';
import { createYooKassaProvider } from './yookassa-provider';
import { createYooKassaKit, order, SHOP } from '../../../test/support/yookassa-test-kit';

const kit = createYooKassaKit();
const { setup, setupWithWebhooks } = kit;
after(() => kit.close());

describe('YooKassa provider: notifications', () => {
  it('verifies a notification from an allowlisted IP, redelivered until 200, and confirms it by re-fetching', async () => {
    const { fake, provider, receiver } = await setupWithWebhooks(2);
    const invoice = await provider.createInvoice(order());
    fake.controls.pay(invoice.externalId);
    await fake.controls.webhooks?.settled();
    assert.deepEqual(
      fake.controls.webhooks?.deliveries.map((delivery) => delivery.statuses),
      [[500, 500, 200]],
    );
    const raw = JSON.parse(receiver.received[2]?.rawBody.toString() ?? '{}') as {
      type: string;
      event: string;
      object: { id: string; status: string };
    };
    assert.deepEqual(Object.keys(raw), ['type', 'event', 'object']);
    assert.deepEqual(
      [raw.type, raw.event, raw.object.id, raw.object.status],
      ['notification', 'payment.succeeded', invoice.externalId, 'succeeded'],
    );
    const [event] = receiver.events();
    assert.deepEqual(event, {
      provider: 'yookassa',
      eventKey: `${invoice.externalId}:payment.succeeded`,
      externalId: invoice.externalId,
      orderId: 42,
      kind: 'succeeded',
    });
    assert.equal(receiver.received[2]?.sourceIp, '185.71.76.10');
    const confirmed = await provider.confirmNotification(event!);
    assert.deepEqual([confirmed.status, confirmed.amountKopecks, confirmed.orderId], ['succeeded', 29_900n, 42]);
    assert.deepEqual(matchesOrder({ id: 42, amountKopecks: 29_900n, currency: 'RUB' }, confirmed), { ok: true });
  });

  it('rejects notifications from other addresses (401 at the receiver) and malformed bodies', async () => {
    const { fake, provider, receiver } = await setupWithWebhooks();
    fake.controls.webhooks?.close();
    const invoice = await provider.createInvoice(order());
    fake.state.payments.get(invoice.externalId)!.status = 'succeeded';
    const body = Buffer.from(
      JSON.stringify({ type: 'notification', event: 'payment.succeeded', object: fake.state.payments.get(invoice.externalId) }),
    );
    const response = await fetch(receiver.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.7' },
      body,
    });
    assert.equal(response.status, 401);
    assert.equal(receiver.received.at(-1)?.rejection?.reason, 'ip-not-allowed');
    const parse = (rawBody: Buffer, sourceIp: string) => provider.parseNotification({ rawBody, headers: {}, sourceIp });
    const reason = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return [(error as WebhookRejectedError).code, (error as WebhookRejectedError).reason];
      }
      return ['accepted'];
    };
    assert.deepEqual(
      reason(() => parse(body, '10.0.0.1')),
      ['WEBHOOK_REJECTED', 'ip-not-allowed'],
    );
    assert.deepEqual(
      reason(() => parse(body, 'not-an-ip')),
      ['WEBHOOK_REJECTED', 'ip-not-allowed'],
    );
    assert.deepEqual(
      reason(() => parse(body, '185.71.76.31')),
      ['accepted'],
    );
    assert.deepEqual(
      reason(() => parse(body, '185.71.76.32')),
      ['WEBHOOK_REJECTED', 'ip-not-allowed'],
    );
    assert.deepEqual(
      reason(() => parse(body, '::ffff:77.75.156.11')),
      ['accepted'],
    );
    assert.deepEqual(
      reason(() => parse(body, '2a02:5180:0:1::12')),
      ['accepted'],
    );
    assert.deepEqual(
      reason(() => parse(Buffer.from('{"type":"payment"}'), '77.75.156.35')),
      ['WEBHOOK_REJECTED', 'malformed'],
    );
    assert.deepEqual(
      reason(() => parse(Buffer.from('not json'), '77.75.156.35')),
      ['WEBHOOK_REJECTED', 'malformed'],
    );
    const custom = createYooKassaProvider({ ...SHOP, webhookAllowlist: ['10.0.0.0/8'] });
    assert.deepEqual(
      reason(() => custom.parseNotification({ rawBody: body, headers: {}, sourceIp: '10.1.2.3' })),
      ['accepted'],
    );
    assert.deepEqual(
      reason(() => custom.parseNotification({ rawBody: body, headers: {}, sourceIp: '185.71.76.1' })),
      ['WEBHOOK_REJECTED', 'ip-not-allowed'],
    );
  });

  it('gives duplicates and replays the same eventKey; other events parse as other', async () => {
    const { fake, provider, receiver } = await setupWithWebhooks();
    const invoice = await provider.createInvoice(order());
    fake.controls.pay(invoice.externalId);
    await fake.controls.webhooks?.settled();
    const first = fake.controls.webhooks?.deliveries[0];
    assert.ok(first);
    fake.controls.duplicate(first);
    fake.controls.notify('payment.succeeded', invoice.externalId);
    fake.controls.notify('payment.waiting_for_capture', invoice.externalId);
    await fake.controls.webhooks?.settled();
    const events = receiver.events();
    assert.equal(events.length, 4);
    assert.equal(new Set(events.slice(0, 3).map((event) => event.eventKey)).size, 1);
    assert.equal(events[3]?.kind, 'other');
  });

  it('delivers out of order; both events confirm to the same fetched state', async () => {
    const { fake, provider, receiver } = await setupWithWebhooks();
    const invoice = await provider.createInvoice(order());
    fake.controls.webhooks?.hold();
    fake.controls.pay(invoice.externalId);
    const refund = await provider.refund({ externalId: invoice.externalId, amountKopecks: 29_900n, idempotencyKey: 'refund-42-1' });
    fake.controls.webhooks?.release('reverse');
    await fake.controls.webhooks?.settled();
    const events = receiver.events();
    assert.deepEqual(
      events.map((event) => event.kind),
      ['refunded', 'succeeded'],
    );
    assert.deepEqual(events[0], {
      provider: 'yookassa',
      eventKey: `${refund.refundId}:refund.succeeded`,
      externalId: invoice.externalId,
      orderId: null,
      kind: 'refunded',
    });
    const confirmed = await Promise.all(events.map((event) => provider.confirmNotification(event)));
    assert.deepEqual(confirmed[0], confirmed[1]);
    assert.equal(confirmed[0]?.refundedKopecks, 29_900n);
  });

  it('a verified notification about a payment of another amount or order fails matchesOrder after confirmation', async () => {
    const { fake, provider } = await setup();
    const cheap = await provider.createInvoice(order({ amountKopecks: 100n }));
    fake.controls.pay(cheap.externalId);
    const claimed = { ...fake.state.payments.get(cheap.externalId)!, metadata: { orderId: '43' } };
    const event = provider.parseNotification({
      rawBody: Buffer.from(JSON.stringify({ type: 'notification', event: 'payment.succeeded', object: claimed })),
      headers: {},
      sourceIp: '185.71.77.1',
    });
    assert.equal(event.orderId, 43, 'the body claims order 43');
    const confirmed = await provider.confirmNotification(event);
    assert.deepEqual(matchesOrder({ id: 43, amountKopecks: 29_900n, currency: 'RUB' }, confirmed), {
      ok: false,
      mismatches: ['order-id', 'amount'],
    });
  });
});
