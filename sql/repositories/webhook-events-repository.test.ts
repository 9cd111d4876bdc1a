import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DatabasePool } from 'slonik';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { listAuditLogs } from './audit-repository';
import { newPayment, newUser } from './test-fixtures';
import { markWebhookEventFailed, recordWebhookEvent, redactWebhookHeaders, settleWebhookEvent } from './webhook-events-repository';

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

  it('stores an event once per (provider, event key); replays are no-ops', async () => {
    const body = '{"update_type":"invoice_paid","payload":{"invoice_id":7}}';
    const input = { provider: 'cryptopay', eventKey: '7', payload: JSON.parse(body) as unknown, rawBody: body, headers: { authorization: 'x', 'content-type': 'application/json' } };
    const results = await Promise.all(Array.from({ length: 10 }, () => recordWebhookEvent(pool, input)));
    assert.equal(results.filter((r) => r.inserted).length, 1);
    const event = results[0]?.event;
    assert.equal(event?.raw_body, body);
    assert.deepEqual(event?.headers, { 'content-type': 'application/json' });
    assert.equal(event?.status, 'received');
    const otherProvider = await recordWebhookEvent(pool, { ...input, provider: 'yookassa' });
    assert.equal(otherProvider.inserted, true);
    const [audit] = await listAuditLogs(pool, { entityType: 'webhook_event', entityId: event?.id ?? 0 });
    assert.equal(audit?.actor, 'provider_webhook');
    assert.equal(audit?.actor_id, 'cryptopay');
  });

  it('settles an event exactly once, after failures, linking its payment', async () => {
    const user = await newUser(pool);
    const payment = await newPayment(pool, { userId: user.id });
    const { event } = await recordWebhookEvent(pool, { provider: 'cryptopay', eventKey: '8', payload: null, rawBody: 'not json', headers: {} });
    assert.equal(event.payload, null);
    const failed = await markWebhookEventFailed(pool, { eventId: event.id, error: 'provider API timeout', actor });
    assert.equal(failed.event.status, 'failed');
    const settled = await settleWebhookEvent(pool, { eventId: event.id, status: 'processed', paymentId: payment.id, actor });
    assert.equal(settled.changed, true);
    assert.equal(settled.event.payment_id, payment.id);
    assert.equal(settled.event.error, null);
    assert.ok(settled.event.processed_at instanceof Date);
    assert.equal((await settleWebhookEvent(pool, { eventId: event.id, status: 'ignored', actor })).changed, false);
    assert.equal((await markWebhookEventFailed(pool, { eventId: event.id, error: 'late', actor })).changed, false);
  });
});
