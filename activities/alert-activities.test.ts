/**
 * The operator alert channel on a real Postgres and the fake Telegram: delivery to every operator
 * chat, deduplication by key, the same answer on a retry of the same activity execution, the
 * per-kind rate limit and its digest, redaction, and recovery from a Telegram outage.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { sql } from 'slonik';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram';
import { createLogger } from '../lib/logger';
import { operatorAlertRow } from '../sql/schemas/operator-alert-row';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database';
import { createAlertActivities, type AlertSettings } from './alert-activities';
import type { AlertInput } from './contracts/alert-activities';
import { createTelegramSender, TelegramUnavailableError, type TelegramSender } from './telegram-sender';

let database: TestDatabase;
let telegram: FakeTelegram;
let sender: TelegramSender;

before(async () => {
  database = await createTestDatabase();
  telegram = await startFakeTelegram();
  sender = createTelegramSender({ token: telegram.token, apiRoot: telegram.apiRoot, maxDelaySeconds: 1 });
});

after(async () => {
  await telegram?.close();
  await database?.drop();
});

beforeEach(async () => {
  await database.pool.query(sql.unsafe`TRUNCATE operator_alerts`);
});

function channel(settings: Partial<AlertSettings> & { chatIds: number[] }, telegramSender: TelegramSender = sender) {
  return createAlertActivities({
    db: database.pool,
    logger: createLogger({ level: 'silent' }),
    telegram: telegramSender,
    alerts: { maxPerKindPerMinute: 5, ...settings },
  });
}

function texts(chatId: number): string[] {
  return telegram
    .sent(chatId)
    .filter((call) => call.method === 'sendMessage' && call.ok)
    .map((call) => String(call.params.text));
}

function alert(key: string, overrides: Partial<AlertInput> = {}): AlertInput {
  return { kind: 'orphan_repaired', key, summary: `Repaired ${key}.`, ...overrides };
}

async function rows() {
  return database.pool.any(sql.type(operatorAlertRow)`SELECT * FROM operator_alerts ORDER BY id`);
}

describe('alertOperators', () => {
  it('delivers an alert to every operator chat with its kind, summary, ids and key', async () => {
    const alerts = channel({ chatIds: [9101, 9102] });
    const result = await alerts.alertOperators(
      alert('sweep:payment_unapplied:payment-7:r1:a1', {
        kind: 'payment_unapplied',
        summary: 'Payment 7 was never applied.',
        subscriptionId: 42,
        userId: 5,
        paymentId: 7,
        serverId: 3,
      }),
    );
    assert.deepEqual(result, { sent: true, duplicate: false, suppressed: false });
    for (const chatId of [9101, 9102]) {
      const [text, ...more] = texts(chatId);
      assert.equal(more.length, 0);
      assert.match(text ?? '', /payment_unapplied/);
      assert.match(text ?? '', /Payment 7 was never applied\./);
      assert.match(text ?? '', /subscription 42 · user 5 · payment 7 · server 3/);
      assert.match(text ?? '', /key: sweep:payment_unapplied:payment-7:r1:a1/);
      const sent = telegram.sent(chatId).find((call) => call.method === 'sendMessage' && call.ok);
      const keyboard = (sent?.params['reply_markup'] as { inline_keyboard: Array<Array<{ callback_data: string }>> } | undefined)
        ?.inline_keyboard;
      assert.deepEqual(
        keyboard?.flat().map((button) => button.callback_data),
        ['adm:u:5', 'adm:sub:42', 'adm:s:3'],
        'buttons into the operator console',
      );
    }
    const [row] = await rows();
    assert.equal(row?.status, 'sent');
  });

  it('deduplicates by key: a second call sends nothing and says duplicate', async () => {
    const alerts = channel({ chatIds: [9201] });
    assert.deepEqual(await alerts.alertOperators(alert('dup-1')), { sent: true, duplicate: false, suppressed: false });
    assert.deepEqual(await alerts.alertOperators(alert('dup-1', { summary: 'a different text' })), {
      sent: false,
      duplicate: true,
      suppressed: false,
    });
    assert.equal(texts(9201).length, 1);
    const [sent] = telegram.sent(9201);
    assert.equal(sent?.params['reply_markup'], undefined, 'an alert about nothing in particular has no buttons');
    assert.equal((await rows()).length, 1);
  });

  it('a retry of the same activity execution answers as the first call did; another execution is a duplicate', async () => {
    const alerts = channel({ chatIds: [9301], maxPerKindPerMinute: 1 });
    const info = { activityId: '7', workflowExecution: { workflowId: 'subscription-1', runId: 'run-a' } };
    const first = await new MockActivityEnvironment(info).run(alerts.alertOperators, alert('retry-sent'));
    const retry = await new MockActivityEnvironment(info).run(alerts.alertOperators, alert('retry-sent'));
    assert.deepEqual(first, { sent: true, duplicate: false, suppressed: false });
    assert.deepEqual(retry, first);
    const other = await new MockActivityEnvironment({ ...info, activityId: '8' }).run(alerts.alertOperators, alert('retry-sent'));
    assert.deepEqual(other, { sent: false, duplicate: true, suppressed: false });
    // A suppressed first answer is suppressed on the retry too (the limit of 1 is used up above).
    const suppressed = await new MockActivityEnvironment({ ...info, activityId: '9' }).run(
      alerts.alertOperators,
      alert('retry-suppressed'),
    );
    const suppressedRetry = await new MockActivityEnvironment({ ...info, activityId: '9' }).run(
      alerts.alertOperators,
      alert('retry-suppressed'),
    );
    assert.deepEqual(suppressed, { sent: false, duplicate: false, suppressed: true });
    assert.deepEqual(suppressedRetry, suppressed);
    assert.equal(texts(9301).length, 1);
  });

  it('rate-limits per kind: the rest are recorded as suppressed and summed into the next alert sent', async () => {
    const alerts = channel({ chatIds: [9401], maxPerKindPerMinute: 2 });
    const results = [];
    for (let index = 1; index <= 5; index += 1) results.push(await alerts.alertOperators(alert(`burst-${index}`)));
    assert.deepEqual(
      results.map((result) => (result.sent ? 'sent' : result.suppressed ? 'suppressed' : 'other')),
      ['sent', 'sent', 'suppressed', 'suppressed', 'suppressed'],
    );
    assert.equal(texts(9401).length, 2);
    // Another kind is not limited by this one, and carries the count of the held-back alerts.
    assert.equal((await alerts.alertOperators(alert('other-kind', { kind: 'payment_unapplied' }))).sent, true);
    const digestText = texts(9401).at(-1) ?? '';
    assert.match(digestText, /\+ 3 more alerts held back by the rate limit since .* UTC: orphan_repaired ×3/);
    const stored = await rows();
    const sentId = stored.find((row) => row.alert_key === 'other-kind')?.id;
    assert.deepEqual(
      stored.filter((row) => row.status === 'suppressed').map((row) => row.digested_by),
      [sentId, sentId, sentId],
    );
    // Counted once: the next alert carries no digest.
    await alerts.alertOperators(alert('after-digest', { kind: 'failover' }));
    assert.doesNotMatch(texts(9401).at(-1) ?? '', /held back/);
  });

  it('suppressed alerts that no later alert carried go out as a digest from the sweep step', async () => {
    const alerts = channel({ chatIds: [9501], maxPerKindPerMinute: 1 });
    await alerts.alertOperators(alert('lonely-1'));
    await alerts.alertOperators(alert('lonely-2'));
    await alerts.alertOperators(alert('lonely-3'));
    assert.equal(texts(9501).length, 1);
    // A minute later (the window is over, nothing else came).
    await database.pool.query(
      sql.unsafe`UPDATE operator_alerts SET created_at = created_at - interval '2 minutes', sent_at = sent_at - interval '2 minutes'`,
    );
    const pass = await alerts.deliverPendingAlerts({});
    assert.notEqual(pass.digestAlertId, null);
    assert.match(texts(9501).at(-1) ?? '', /\+ 2 more alerts held back by the rate limit/);
    // Idempotent: the next pass finds nothing to digest.
    assert.equal((await alerts.deliverPendingAlerts({})).digestAlertId, null);
    assert.equal(texts(9501).length, 2);
  });

  it('never puts a secret in the text or the stored summary', async () => {
    const alerts = channel({ chatIds: [9601], knownSecrets: ['provider-secret-value'] });
    const secrets = [
      '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0',
      'vless://0f4e6a52-52a3-4b3c-9a6c-1d2e3f4a5b6c@nl.vpn.example.com:443?type=tcp&security=reality#NL',
      'aGVsbG8td29ybGQtdGhpcy1pcy1hLXN1Yi10b2tlbi0xMjM0NTY3ODkw',
      'provider-secret-value',
      'hunter2-panel-pass',
    ];
    const summary =
      `Panel login failed with password=${secrets[4]} via bot ${secrets[0]}; key ${secrets[1]}; ` +
      `url https://vpn.example.com/sub/${secrets[2]}; provider said ${secrets[3]}. Subscription 42.`;
    assert.equal((await alerts.alertOperators(alert('secrets-1', { summary, subscriptionId: 42 }))).sent, true);
    const [text] = texts(9601);
    const [row] = await rows();
    for (const secret of secrets) {
      assert.equal(text?.includes(secret), false, `the message leaks ${secret.slice(0, 12)}…`);
      assert.equal(row?.summary.includes(secret), false, `the stored summary leaks ${secret.slice(0, 12)}…`);
    }
    assert.match(text ?? '', /Subscription 42\./);
    assert.match(text ?? '', /\/sub\/\[redacted\]/);
  });

  it('a Telegram outage leaves the alert pending without failing the caller; the sweep step delivers it once', async () => {
    let down = true;
    const flaky: TelegramSender = {
      sendText: async (chatId, text) => {
        if (down) throw new TelegramUnavailableError('sendMessage', 'HTTP 502');
        return sender.sendText(chatId, text);
      },
      sendPhoto: (chatId, png, caption) => sender.sendPhoto(chatId, png, caption),
    };
    const alerts = channel({ chatIds: [9701] }, flaky);
    assert.deepEqual(await alerts.alertOperators(alert('outage-1')), { sent: false, duplicate: false, suppressed: false });
    assert.equal((await rows())[0]?.status, 'pending');
    down = false;
    // Another caller with the same key does not send it twice.
    assert.equal((await alerts.alertOperators(alert('outage-1'))).duplicate, true);
    assert.equal(texts(9701).length, 0);
    // Too fresh: its first caller may still be retrying.
    assert.deepEqual((await alerts.deliverPendingAlerts({})).sent, []);
    await database.pool.query(sql.unsafe`UPDATE operator_alerts SET created_at = created_at - interval '1 minute'`);
    const pass = await alerts.deliverPendingAlerts({});
    assert.equal(pass.sent.length, 1);
    assert.equal((await alerts.deliverPendingAlerts({})).sent.length, 0);
    assert.equal(texts(9701).length, 1);
  });

  it('a chat that refuses does not stop the others; when none accepts the alert is undeliverable', async () => {
    const alerts = channel({ chatIds: [9801, 9802] });
    telegram.setBlocked(9801, true);
    assert.equal((await alerts.alertOperators(alert('blocked-1'))).sent, true);
    assert.equal(texts(9802).length, 1);
    telegram.setBlocked(9802, true);
    assert.deepEqual(await alerts.alertOperators(alert('blocked-2')), { sent: false, duplicate: false, suppressed: false });
    assert.equal((await rows()).find((row) => row.alert_key === 'blocked-2')?.status, 'undeliverable');
  });

  it('refuses a malformed kind or an empty key without retries, and drops ids that are not ids', async () => {
    const alerts = channel({ chatIds: [9901] });
    await assert.rejects(alerts.alertOperators(alert('bad-kind', { kind: 'Bad Kind' as AlertInput['kind'] })), (error: unknown) => {
      const failure = error as { type?: string; nonRetryable?: boolean };
      return failure.type === 'INVALID_INPUT' && failure.nonRetryable === true;
    });
    await assert.rejects(alerts.alertOperators(alert(' ')), (error: unknown) => (error as { type?: string }).type === 'INVALID_INPUT');
    assert.equal((await alerts.alertOperators(alert('odd-ids', { subscriptionId: -1, paymentId: 1.5, userId: 9 }))).sent, true);
    assert.match(texts(9901).at(-1) ?? '', /\nuser 9\n/);
  });

  it('with no operator chat configured an alert is recorded (and logged), not lost silently', async () => {
    const alerts = channel({ chatIds: [] });
    assert.deepEqual(await alerts.alertOperators(alert('nobody')), { sent: false, duplicate: false, suppressed: false });
    assert.equal((await rows())[0]?.status, 'undeliverable');
  });
});
