import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DatabasePool } from 'slonik';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { countAuditLogs } from './audit-repository';
import {
  claimNotificationDelivery,
  enqueueNotification,
  listDueNotifications,
  markNotificationFailed,
  markNotificationSent,
  releaseNotificationClaim,
} from './notifications-repository';
import { newUser, testActor } from '../../test/support/db-fixtures';

let db: TestDatabase;
let pool: DatabasePool;
let userId: number;

before(async () => {
  db = await createTestDatabase();
  pool = db.pool;
  userId = (await newUser(pool)).id;
});
after(async () => db.drop());

describe('notifications outbox', () => {
  it('never enqueues the same reminder twice, even when 10 retries race', async () => {
    const input = {
      userId,
      type: 'subscription_expiring',
      data: { days_left: 3 },
      idempotencyKey: 'reminder:1:2026-02-01:72h',
      actor: testActor,
    };
    const results = await Promise.all(Array.from({ length: 10 }, () => enqueueNotification(pool, input)));
    assert.equal(results.filter((r) => r.enqueued).length, 1);
    assert.equal(new Set(results.map((r) => r.notification.id)).size, 1);
    assert.deepEqual(results[0]?.notification.data, { days_left: 3 });
    assert.equal(await countAuditLogs(pool, { action: 'notification.enqueued', entityId: results[0]?.notification.id ?? 0 }), 1);
  });

  it('marks sent exactly once and records the Telegram message id', async () => {
    const { notification } = await enqueueNotification(pool, {
      userId,
      type: 'payment_success',
      idempotencyKey: 'paid:1',
      actor: testActor,
    });
    const sent = await markNotificationSent(pool, { notificationId: notification.id, telegramMessageId: 555, actor: testActor });
    assert.equal(sent.changed, true);
    assert.equal(sent.notification.status, 'sent');
    assert.equal(sent.notification.telegram_message_id, 555);
    assert.ok(sent.notification.sent_at instanceof Date);
    assert.equal((await markNotificationSent(pool, { notificationId: notification.id, actor: testActor })).changed, false);
    // A message already sent is not re-enqueued either.
    assert.equal(
      (await enqueueNotification(pool, { userId, type: 'payment_success', idempotencyKey: 'paid:1', actor: testActor })).enqueued,
      false,
    );
  });

  it('counts failed attempts, keeps retryable ones pending, and fails for good when final', async () => {
    const { notification } = await enqueueNotification(pool, { userId, type: 'x', idempotencyKey: 'fail:1', actor: testActor });
    const retry = await markNotificationFailed(pool, {
      notificationId: notification.id,
      error: '429 Too Many Requests',
      final: false,
      actor: testActor,
    });
    assert.equal(retry.notification.status, 'pending');
    assert.equal(retry.notification.attempts, 1);
    const final = await markNotificationFailed(pool, {
      notificationId: notification.id,
      error: '403 bot was blocked by the user',
      final: true,
      actor: testActor,
    });
    assert.equal(final.notification.status, 'failed');
    assert.equal(final.notification.attempts, 2);
    assert.ok(final.notification.failed_at instanceof Date);
    assert.equal(
      (await markNotificationFailed(pool, { notificationId: notification.id, error: 'x', final: true, actor: testActor })).changed,
      false,
    );
    // A later successful retry of a failed message may still mark it sent.
    assert.equal((await markNotificationSent(pool, { notificationId: notification.id, actor: testActor })).changed, true);
  });

  it('lists only pending messages that are due', async () => {
    const now = new Date();
    const due = await enqueueNotification(pool, {
      userId,
      type: 'x',
      idempotencyKey: 'due:1',
      scheduledAt: new Date(now.getTime() - 1000),
      actor: testActor,
    });
    const later = await enqueueNotification(pool, {
      userId,
      type: 'x',
      idempotencyKey: 'due:2',
      scheduledAt: new Date(now.getTime() + 3_600_000),
      actor: testActor,
    });
    const ids = (await listDueNotifications(pool, { now })).map((n) => n.id);
    assert.ok(ids.includes(due.notification.id));
    assert.ok(!ids.includes(later.notification.id));
  });

  it('lets exactly one of concurrent attempts claim a due message, until released or sent', async () => {
    const { notification } = await enqueueNotification(pool, { userId, type: 'x', idempotencyKey: 'claim:1', actor: testActor });
    const claims = await Promise.all(
      Array.from({ length: 5 }, () => claimNotificationDelivery(pool, { notificationId: notification.id, leaseMs: 60_000 })),
    );
    assert.equal(claims.filter((claim) => claim !== null).length, 1);
    assert.equal(await claimNotificationDelivery(pool, { notificationId: notification.id, leaseMs: 60_000 }), null);
    await releaseNotificationClaim(pool, { notificationId: notification.id });
    assert.notEqual(await claimNotificationDelivery(pool, { notificationId: notification.id, leaseMs: 60_000 }), null);
    await markNotificationSent(pool, { notificationId: notification.id, actor: testActor });
    await releaseNotificationClaim(pool, { notificationId: notification.id });
    assert.equal(await claimNotificationDelivery(pool, { notificationId: notification.id, leaseMs: 0 }), null);
  });
});
