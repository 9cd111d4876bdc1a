/**
 * The webhook dispatcher on a real test database: events stored by the route's repository call
 * (`acceptWebhookDelivery`) are handed off exactly once, by any number of dispatchers, also when a
 * dispatcher dies between the store and the hand-off or in the middle of a round; repeats of a
 * settled event stay no-ops.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { z } from 'zod';
import { createLogger } from '../lib/logger';
import { markPaymentCompleted } from '../sql/repositories/payments-repository';
import { acceptWebhookDelivery } from '../sql/repositories/webhook-events-repository';
import { countWebhookEventsToDispatch } from '../sql/repositories/webhook-dispatch-repository';
import type { PaymentRow } from '../sql/schemas/payment-row';
import { countAuditLogs } from '../sql/repositories/audit-repository';
import { testActor } from '../test/support/db-fixtures';
import { sandboxNotification, sandboxPayment } from '../test/support/sandbox-notification';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database';
import { eventually } from '../test/support/test-temporal';
import { createWebhookDispatcher, type SignalVerdict } from './webhook-dispatcher';

let database: TestDatabase;
const logger = createLogger({ level: 'silent' });

before(async () => {
  database = await createTestDatabase();
});
after(async () => {
  await database.drop();
});

/** Stores a verified `payment.succeeded` for `payment` as the route does. */
async function store(payment: PaymentRow) {
  return acceptWebhookDelivery(database.pool, {
    provider: 'sandbox',
    eventKey: `${payment.external_id}:payment.succeeded`,
    rawBody: Buffer.from(sandboxNotification(payment)),
    headers: {},
    notification: { kind: 'succeeded', orderId: payment.id, externalId: payment.external_id },
  });
}

/** A hand-off that records the payment ids it signalled. */
function recorder(): { signalled: number[]; signal: SignalVerdict } {
  const signalled: number[] = [];
  return { signalled, signal: async (payment) => void signalled.push(payment.id) };
}

async function statusOf(eventId: number): Promise<string> {
  return database.pool.oneFirst(sql.type(z.object({ status: z.string() }))`SELECT status FROM webhook_events WHERE id = ${eventId}`);
}

async function drained(): Promise<true | undefined> {
  return (await countWebhookEventsToDispatch(database.pool)) === 0 ? true : undefined;
}

describe('webhook dispatcher', () => {
  it('hands off every stored event exactly once, with two dispatchers sharing the backlog', async () => {
    const payments = await Promise.all(Array.from({ length: 40 }, () => sandboxPayment(database.pool)));
    const stored = await Promise.all(payments.map(store));
    assert.ok(stored.every((event) => event.delivery === 'first'));
    const one = recorder();
    const two = recorder();
    const first = createWebhookDispatcher({ db: database.pool, signalVerdict: one.signal, logger, batchSize: 5, pollMs: 20 });
    const second = createWebhookDispatcher({ db: database.pool, signalVerdict: two.signal, logger, batchSize: 5, pollMs: 20 });
    first.start();
    second.start();
    await eventually(drained, 10_000, 'the backlog handed off');
    await Promise.all([first.stop(), second.stop()]);
    const all = [...one.signalled, ...two.signalled].sort((a, b) => a - b);
    assert.deepEqual(
      all,
      payments.map((payment) => payment.id).sort((a, b) => a - b),
      'each payment signalled once',
    );
    for (const event of stored) {
      assert.equal(await statusOf(event.eventId), 'handed_off');
      assert.equal(await countAuditLogs(database.pool, { action: 'webhook.handed_off', entityId: event.eventId }), 1);
    }
  });

  it('an event stored while no dispatcher ran (it crashed after the insert) is handed off once on restart', async () => {
    const payment = await sandboxPayment(database.pool);
    const { eventId } = await store(payment);
    assert.equal(await statusOf(eventId), 'received');
    const restarted = recorder();
    const dispatcher = createWebhookDispatcher({ db: database.pool, signalVerdict: restarted.signal, logger, pollMs: 20 });
    dispatcher.start();
    await eventually(drained, 10_000, 'the event handed off after the restart');
    // More rounds find nothing more to do.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await dispatcher.stop();
    assert.deepEqual(restarted.signalled, [payment.id]);
    assert.equal(await statusOf(eventId), 'handed_off');
  });

  it('a dispatcher that dies mid-round (its connection gone before it signalled) leaves the event to the next, delivered once', async () => {
    const payment = await sandboxPayment(database.pool);
    const { eventId } = await store(payment);
    // The first dispatcher claims the event and hangs before its signal leaves the process.
    let claimed: () => void = () => undefined;
    const hanging = new Promise<void>((resolve) => (claimed = resolve));
    let releaseCrashed: () => void = () => undefined;
    const neverSent = new Promise<void>((resolve) => (releaseCrashed = resolve));
    const crashed = createWebhookDispatcher({
      db: database.pool,
      logger,
      pollMs: 60_000,
      signalVerdict: async () => {
        claimed();
        await neverSent;
        throw new Error('this process is dead: the signal never left');
      },
    });
    const round = crashed.dispatchRound().then(
      () => 'committed',
      () => 'rolled back',
    );
    await hanging;
    // While its transaction holds the row, nobody else takes it.
    const next = recorder();
    const successor = createWebhookDispatcher({ db: database.pool, signalVerdict: next.signal, logger, pollMs: 20 });
    assert.equal(await successor.dispatchRound(), 0, 'a claimed row is skipped, not taken twice');
    // The crash: its database session ends (as when the process is killed), rolling the round back.
    const killed = await database.pool.anyFirst(sql.type(z.object({ killed: z.boolean() }))`
      SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'`);
    assert.ok(killed.length >= 1 && killed.every(Boolean), 'the hanging round was in its transaction');
    successor.start();
    await eventually(drained, 10_000, 'the successor handed the event off');
    releaseCrashed();
    assert.equal(await round, 'rolled back');
    await successor.stop();
    assert.deepEqual(next.signalled, [payment.id]);
    assert.equal(await statusOf(eventId), 'handed_off');
    assert.equal(await countAuditLogs(database.pool, { action: 'webhook.handed_off', entityId: eventId }), 1);
  });

  it('a failed hand-off stays received with a backoff, and goes through once on a later round', async () => {
    const payment = await sandboxPayment(database.pool);
    const { eventId } = await store(payment);
    let fail = true;
    const signalled: number[] = [];
    const dispatcher = createWebhookDispatcher({
      db: database.pool,
      logger,
      pollMs: 20,
      signalVerdict: async (row) => {
        if (fail) throw new Error('temporal down');
        signalled.push(row.id);
      },
    });
    assert.equal(await dispatcher.dispatchRound(), 1);
    const retrying = await database.pool.one(sql.type(z.object({ status: z.string(), attempts: z.number(), due_in_ms: z.number() }))`
      SELECT status, dispatch_attempts AS attempts, (extract(epoch FROM dispatch_after - now()) * 1000)::int AS due_in_ms FROM webhook_events WHERE id = ${eventId}`);
    assert.equal(retrying.status, 'received');
    assert.equal(retrying.attempts, 1);
    assert.ok(retrying.due_in_ms > 500 && retrying.due_in_ms <= 1_000, `due in ${retrying.due_in_ms} ms`);
    assert.equal(await dispatcher.dispatchRound(), 0, 'not due yet');
    fail = false;
    dispatcher.start();
    await eventually(drained, 10_000, 'the retry');
    await dispatcher.stop();
    assert.deepEqual(signalled, [payment.id]);
    assert.equal(await statusOf(eventId), 'handed_off');
  });

  it('finds the payment by external id when the event carries no order id, and only with the same provider', async () => {
    const payment = await sandboxPayment(database.pool);
    const byExternalId = await acceptWebhookDelivery(database.pool, {
      provider: 'sandbox',
      eventKey: `${payment.external_id}:refund`,
      rawBody: Buffer.from('{}'),
      headers: {},
      notification: { kind: 'succeeded', orderId: null, externalId: payment.external_id },
    });
    const otherProvider = await acceptWebhookDelivery(database.pool, {
      provider: 'cryptopay',
      eventKey: `${payment.external_id}:elsewhere`,
      rawBody: Buffer.from('{}'),
      headers: {},
      notification: { kind: 'succeeded', orderId: payment.id, externalId: payment.external_id },
    });
    const seen = recorder();
    const dispatcher = createWebhookDispatcher({ db: database.pool, signalVerdict: seen.signal, logger });
    assert.equal(await dispatcher.dispatchRound(), 2);
    assert.deepEqual(seen.signalled, [payment.id]);
    assert.equal(await statusOf(byExternalId.eventId), 'handed_off');
    assert.equal(await statusOf(otherProvider.eventId), 'ignored', "another provider's event never reaches a sandbox payment");
  });

  it('settles an event whose payment is already completed without a signal; its repeats are no-ops', async () => {
    const payment = await sandboxPayment(database.pool);
    await markPaymentCompleted(database.pool, { paymentId: payment.id, actor: testActor });
    const { eventId } = await store(payment);
    const none = recorder();
    const dispatcher = createWebhookDispatcher({ db: database.pool, signalVerdict: none.signal, logger });
    assert.equal(await dispatcher.dispatchRound(), 1);
    assert.equal(await statusOf(eventId), 'settled');
    const deliveries = () =>
      database.pool.oneFirst(sql.type(z.object({ deliveries: z.number() }))`SELECT deliveries FROM webhook_events WHERE id = ${eventId}`);
    const before = await deliveries();
    for (let repeat = 0; repeat < 3; repeat += 1) assert.deepEqual(await store(payment), { delivery: 'settled', eventId });
    assert.equal(await dispatcher.dispatchRound(), 0, 'nothing to dispatch');
    assert.equal(await deliveries(), before, 'a settled repeat writes nothing');
    assert.deepEqual(none.signalled, []);
  });
});
