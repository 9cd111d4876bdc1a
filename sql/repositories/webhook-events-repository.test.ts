import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { listAuditLogs } from './audit-repository';
import { newPayment, newUser } from '../../test/support/db-fixtures';
import {
  markWebhookEventFailed,
  recordWebhookDelivery,
  recordWebhookEvent,
  recordWebhookOutcome,
  redactWebhookHeaders,
  settleWebhookEvent,
  storedEventKey,
} from './webhook-events-repository';

let db: TestDatabase;
let pool: DatabasePool;
const actor = { type: 'provider_webhook', provider: 'cryptopay' } as const;

before(async () => {
  db = await createTestDatabase();
  pool = db.pool;
});
after(async () => db.drop());

describe('webhook inbox', () => {
  it('strips credentials from headers but keeps the rest', () => {
    assert.deepEqual(
      redactWebhookHeaders({
        Authorization: 'Basic abc',
        'X-Telegram-Bot-Api-Secret-Token': 's',
        Cookie: 'a=b',
        'X-Api-Key': 'k',
        'crypto-pay-api-signature': 'deadbeef',
        'Content-Type': 'application/json',
        'X-Forwarded-For': ['1.1.1.1', '2.2.2.2'],
        skipped: undefined,
      }),
      { 'crypto-pay-api-signature': 'deadbeef', 'content-type': 'application/json', 'x-forwarded-for': '1.1.1.1, 2.2.2.2' },
    );
  });

  it('stores an event once per (provider, event key); repeats are counted and kept raw', async () => {
    const body = '{"update_type":"invoice_paid","payload":{"invoice_id":7}}';
    const input = {
      provider: 'cryptopay',
      eventKey: '7',
      rawBody: Buffer.from(body),
      headers: { authorization: 'x', 'content-type': 'application/json' },
    };
    const results = await Promise.all(Array.from({ length: 10 }, () => recordWebhookDelivery(pool, input)));
    assert.deepEqual(results.map((r) => r.delivery).sort(), ['first', ...Array<string>(9).fill('repeat')]);
    const event = results.find((r) => r.delivery === 'first')?.event;
    assert.equal(event?.raw_body, body);
    assert.deepEqual(event?.payload, JSON.parse(body));
    assert.deepEqual(event?.headers, { 'content-type': 'application/json' });
    assert.equal(event?.status, 'received');
    assert.equal(event?.sanitized, false);
    const counted = await pool.one(sql.type(z.object({ deliveries: z.number(), kept: z.number(), exact: z.boolean() }))`
      SELECT deliveries, (SELECT count(*)::int FROM webhook_event_deliveries WHERE webhook_event_id = e.id) AS kept,
             raw_bytes = ${sql.binary(Buffer.from(body))} AS exact
      FROM webhook_events e WHERE id = ${event?.id ?? 0}`);
    assert.deepEqual(counted, { deliveries: 10, kept: 9, exact: true });
    const otherProvider = await recordWebhookDelivery(pool, { ...input, provider: 'yookassa' });
    assert.equal(otherProvider.delivery, 'first');
    const [audit] = await listAuditLogs(pool, { entityType: 'webhook_event', entityId: event?.id ?? 0 });
    assert.equal(audit?.actor, 'provider_webhook');
    assert.equal(audit?.actor_id, 'cryptopay');
  });

  it('only a settled event makes repeats no-ops; handed-off, ignored and failed ones are processed again', async () => {
    const user = await newUser(pool);
    const payment = await newPayment(pool, { userId: user.id });
    const input = { provider: 'cryptopay', eventKey: '8', rawBody: Buffer.from('not json'), headers: {} };
    const { event, delivery } = await recordWebhookDelivery(pool, input);
    assert.equal(delivery, 'first');
    assert.equal(event.payload, null);
    for (const status of ['handed_off', 'ignored'] as const) {
      const outcome = await recordWebhookOutcome(pool, { eventId: event.id, status, paymentId: payment.id, actor });
      assert.equal(outcome.event.status, status);
      assert.ok(outcome.event.processed_at instanceof Date);
      assert.equal((await recordWebhookDelivery(pool, input)).delivery, 'repeat', `a repeat of a ${status} event`);
    }
    const failed = await markWebhookEventFailed(pool, { eventId: event.id, error: 'provider API timeout', actor });
    assert.deepEqual([failed.event.status, failed.event.processed_at], ['failed', null]);
    assert.equal((await recordWebhookDelivery(pool, input)).delivery, 'repeat');
    const settled = await recordWebhookOutcome(pool, { eventId: event.id, status: 'settled', paymentId: payment.id, actor });
    assert.equal(settled.changed, true);
    assert.equal(settled.event.payment_id, payment.id);
    assert.equal(settled.event.error, null);
    const repeat = await recordWebhookDelivery(pool, input);
    assert.deepEqual([repeat.delivery, repeat.event.deliveries], ['settled', 5]);
    assert.equal((await recordWebhookOutcome(pool, { eventId: event.id, status: 'handed_off', actor })).changed, false);
    assert.equal((await markWebhookEventFailed(pool, { eventId: event.id, error: 'late', actor })).changed, false);
    const kept = await pool.oneFirst(
      sql.type(
        z.object({ count: z.number() }),
      )`SELECT count(*)::int AS count FROM webhook_event_deliveries WHERE webhook_event_id = ${event.id}`,
    );
    assert.equal(kept, 3, 'the three repeats before settling are kept raw; the settled repeat only counts');
  });

  it('stores bodies with NUL and lone surrogates: exact bytes, escaped text and JSON', async () => {
    const body = '{"event":"payment.succeeded","note":"a\\u0000b","odd":"\\ud800","k\\u0000":[{"x":"\\udc00y"}]}';
    const raw = Buffer.concat([Buffer.from(body), Buffer.from([0x00, 0xff])]);
    const { event, delivery } = await recordWebhookDelivery(pool, {
      provider: 'sandbox',
      eventKey: 'poison:1',
      rawBody: Buffer.from(body),
      headers: { 'x-note': 'ok' },
    });
    assert.equal(delivery, 'first');
    assert.equal(event.sanitized, true);
    assert.deepEqual(event.payload, { event: 'payment.succeeded', note: 'a\\u0000b', odd: '\\ud800', 'k\\u0000': [{ x: '\\udc00y' }] });
    assert.equal(event.raw_body, body, 'the text view keeps the escapes as sent');
    const bytes = await recordWebhookDelivery(pool, { provider: 'sandbox', eventKey: 'poison:2', rawBody: raw, headers: {} });
    assert.equal(bytes.event.sanitized, true);
    assert.equal(bytes.event.payload, null);
    assert.ok(bytes.event.raw_body.endsWith('\\u0000\ufffd'));
    const exact = await pool.oneFirst(sql.type(z.object({ exact: z.boolean() }))`
      SELECT raw_bytes = ${sql.binary(raw)} AS exact FROM webhook_events WHERE id = ${bytes.event.id}`);
    assert.equal(exact, true);
    assert.equal(
      (await recordWebhookDelivery(pool, { provider: 'sandbox', eventKey: 'poison:2', rawBody: raw, headers: {} })).delivery,
      'repeat',
    );
  });

  it('stores keys Postgres cannot hold, or too long, under a stable hash', async () => {
    for (const key of ['inv\u0000:payment.succeeded', 'inv\ud800', 'k'.repeat(300)]) {
      const stored = storedEventKey(key);
      assert.match(stored, /^sha256:[0-9a-f]{64}$/);
      const first = await recordWebhookDelivery(pool, { provider: 'sandbox', eventKey: key, rawBody: Buffer.from('{}'), headers: {} });
      assert.deepEqual([first.delivery, first.event.event_key, first.event.sanitized], ['first', stored, true]);
      assert.equal(
        (await recordWebhookDelivery(pool, { provider: 'sandbox', eventKey: key, rawBody: Buffer.from('{}'), headers: {} })).delivery,
        'repeat',
      );
    }
    assert.equal(storedEventKey('inv-1:payment.succeeded'), 'inv-1:payment.succeeded');
  });

  it('keeps the pre-0015 calls working on the new statuses', async () => {
    const input = { provider: 'cryptopay', eventKey: 'legacy-1', payload: null, rawBody: '{"a":1}', headers: {} };
    const first = await recordWebhookEvent(pool, input);
    assert.deepEqual([first.inserted, first.event.payload], [true, { a: 1 }]);
    assert.equal((await recordWebhookEvent(pool, input)).inserted, false);
    const settled = await settleWebhookEvent(pool, { eventId: first.event.id, status: 'processed', actor });
    assert.equal(settled.event.status, 'settled');
    assert.equal((await recordWebhookDelivery(pool, { ...input, rawBody: Buffer.from(input.rawBody) })).delivery, 'settled');
  });
});
