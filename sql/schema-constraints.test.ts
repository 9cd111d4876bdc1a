import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IntegrityConstraintViolationError, sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database';
import { newPayment, newServer, newSubscription, newUser } from '../test/support/db-fixtures';

/*
 * Every constraint of the schema, violated once by plain SQL (the way an operator or a buggy query
 * would), asserting on the constraint's name (or column, for NOT NULL). Repository-level rules are
 * tested beside the repositories.
 */

let db: TestDatabase;
let pool: DatabasePool;
let userId: number;
let otherUserId: number;
let serverId: number;
let subscriptionId: number;
let paymentId: number;

before(async () => {
  db = await createTestDatabase();
  pool = db.pool;
  userId = (await newUser(pool)).id;
  otherUserId = (await newUser(pool)).id;
  serverId = (await newServer(pool, 5)).id;
  subscriptionId = (await newSubscription(pool, userId)).id;
  paymentId = (await newPayment(pool, { userId, subscriptionId })).id;
});
after(async () => db.drop());

/** A query from plain text (these tests write SQL by hand, as an operator would). */
function raw(text: string) {
  const strings = Object.freeze(Object.assign([text], { raw: Object.freeze([text]) }));
  return sql.unsafe(strings as unknown as TemplateStringsArray);
}

/** Runs `statement` and expects it to fail on `constraint` (or on NOT NULL of `column`). */
async function violates(statement: string, expected: { constraint?: string; column?: string }): Promise<void> {
  await assert.rejects(pool.query(raw(statement)), (error: unknown) => {
    assert.ok(error instanceof IntegrityConstraintViolationError, `expected a constraint violation, got ${String(error)}`);
    if (expected.constraint !== undefined) assert.equal(error.constraint, expected.constraint, statement);
    if (expected.column !== undefined) assert.equal(error.column, expected.column, statement);
    return true;
  });
}

describe('seed tables with the seed fixed', () => {
  it('creates vpn_servers before subscriptions (FK works) and uses timestamptz everywhere', async () => {
    const types = await pool.anyFirst(sql.type(z.object({ data_type: z.string() }))`
      SELECT DISTINCT data_type FROM information_schema.columns
      WHERE table_schema = 'public' AND data_type LIKE 'timestamp%' AND table_name <> 'pgmigrations'
    `);
    assert.deepEqual([...types], ['timestamp with time zone']);
  });

  it('keeps money NUMERIC(12,2) in every money column', async () => {
    const columns = await pool.any(sql.type(z.object({ column: z.string(), precision: z.number(), scale: z.number() }))`
      SELECT table_name || '.' || column_name AS column, numeric_precision AS precision, numeric_scale AS scale
      FROM information_schema.columns WHERE table_schema = 'public' AND data_type = 'numeric' ORDER BY 1
    `);
    assert.deepEqual(
      columns.map((c) => c.column),
      [
        'balance_ledger.amount',
        'balance_ledger.balance_after',
        'balance_top_ups.amount',
        'payments.amount',
        'payments.list_price',
        'promo_codes.amount_off',
        'referrals.bonus_amount',
        'subscription_plans.price_rub',
        'users.balance',
      ],
    );
    assert.ok(columns.every((c) => c.precision === 12 && c.scale === 2));
  });

  it('keeps every index the seed names', async () => {
    const names = new Set(
      await pool.anyFirst(sql.type(z.object({ indexname: z.string() }))`SELECT indexname FROM pg_indexes WHERE schemaname = 'public'`),
    );
    for (const name of [
      'idx_users_telegram_id',
      'idx_subscriptions_user_id',
      'idx_subscriptions_status',
      'idx_subscriptions_end_date',
      'idx_payments_user_id',
      'idx_payments_status',
      'idx_payments_external_id',
      'idx_audit_logs_user_id',
      'idx_audit_logs_created_at',
      'idx_notifications_user_id',
      'idx_notifications_status',
    ]) {
      assert.ok(names.has(name), name);
    }
  });

  it('users', async () => {
    await violates(`INSERT INTO users (telegram_id) VALUES (NULL)`, { column: 'telegram_id' });
    await violates(`INSERT INTO users (telegram_id) VALUES (0)`, { constraint: 'users_telegram_id_positive' });
    await violates(`INSERT INTO users (telegram_id) SELECT telegram_id FROM users WHERE id = ${userId}`, {
      constraint: 'users_telegram_id_key',
    });
    await violates(`UPDATE users SET referrer_id = id WHERE id = ${userId}`, { constraint: 'users_referrer_not_self' });
    await violates(`UPDATE users SET referral_code = (SELECT referral_code FROM users WHERE id = ${otherUserId}) WHERE id = ${userId}`, {
      constraint: 'users_referral_code_key',
    });
    await violates(`UPDATE users SET referral_code = 'a b' WHERE id = ${userId}`, { constraint: 'users_referral_code_format' });
    await violates(`UPDATE users SET language_code = 'Russian' WHERE id = ${userId}`, { constraint: 'users_language_code_format' });
    await violates(`UPDATE users SET balance = -1 WHERE id = ${userId}`, { constraint: 'users_balance_not_negative' });
    await violates(`UPDATE users SET is_active = NULL WHERE id = ${userId}`, { column: 'is_active' });
  });

  it('subscription_plans', async () => {
    await violates(`INSERT INTO subscription_plans (name, duration_days, price_rub) VALUES ('x', 0, 1)`, {
      constraint: 'subscription_plans_duration_positive',
    });
    await violates(`INSERT INTO subscription_plans (name, duration_days, price_rub) VALUES ('x', 30, -1)`, {
      constraint: 'subscription_plans_price_not_negative',
    });
    await violates(`INSERT INTO subscription_plans (name, duration_days) VALUES ('x', 30)`, { column: 'price_rub' });
  });

  it('vpn_servers', async () => {
    await violates(`UPDATE vpn_servers SET current_users = max_users + 1 WHERE id = ${serverId}`, {
      constraint: 'vpn_servers_current_users_in_range',
    });
    await violates(`UPDATE vpn_servers SET current_users = -1 WHERE id = ${serverId}`, {
      constraint: 'vpn_servers_current_users_in_range',
    });
    await violates(`UPDATE vpn_servers SET max_users = -1 WHERE id = ${serverId}`, { constraint: 'vpn_servers_current_users_in_range' });
    await violates(`UPDATE vpn_servers SET xui_password = 'plain' WHERE id = ${serverId}`, {
      constraint: 'vpn_servers_no_plaintext_password',
    });
    await violates(`UPDATE vpn_servers SET xui_password_enc = 'plain' WHERE id = ${serverId}`, {
      constraint: 'vpn_servers_password_enc_format',
    });
    await violates(`UPDATE vpn_servers SET xui_api_token_enc = 'tok' WHERE id = ${serverId}`, {
      constraint: 'vpn_servers_api_token_enc_format',
    });
    await violates(`UPDATE vpn_servers SET xui_api_version = 'v4' WHERE id = ${serverId}`, { constraint: 'vpn_servers_api_version_known' });
    await violates(`UPDATE vpn_servers SET xui_web_base_path = 'panel/' WHERE id = ${serverId}`, {
      constraint: 'vpn_servers_web_base_path_format',
    });
    await violates(`UPDATE vpn_servers SET xui_inbound_id = 0 WHERE id = ${serverId}`, { constraint: 'vpn_servers_inbound_id_positive' });
    await violates(`UPDATE vpn_servers SET status = 'sleepy' WHERE id = ${serverId}`, { constraint: 'vpn_servers_status_known' });
    await violates(`UPDATE vpn_servers SET status = 'down' WHERE id = ${serverId}`, { constraint: 'vpn_servers_down_since_set' });
    await violates(`UPDATE vpn_servers SET down_since = now() WHERE id = ${serverId}`, { constraint: 'vpn_servers_down_since_set' });
  });

  it('subscriptions', async () => {
    await violates(`INSERT INTO subscriptions (user_id) VALUES (NULL)`, { column: 'user_id' });
    await violates(
      `UPDATE subscriptions SET status = 'paused', start_date = now(), end_date = now() + interval '1 day' WHERE id = ${subscriptionId}`,
      { constraint: 'subscriptions_status_known' },
    );
    await violates(`UPDATE subscriptions SET status = 'active' WHERE id = ${subscriptionId}`, { constraint: 'subscriptions_period_set' });
    await violates(`UPDATE subscriptions SET start_date = now(), end_date = now() - interval '1 day' WHERE id = ${subscriptionId}`, {
      constraint: 'subscriptions_period_ordered',
    });
    await violates(`UPDATE subscriptions SET traffic_used = -1 WHERE id = ${subscriptionId}`, {
      constraint: 'subscriptions_traffic_not_negative',
    });
    await violates(`UPDATE subscriptions SET server_slot_held = true WHERE id = ${subscriptionId}`, {
      constraint: 'subscriptions_slot_has_server',
    });
    await violates(`UPDATE subscriptions SET sub_token = 'short' WHERE id = ${subscriptionId}`, {
      constraint: 'subscriptions_sub_token_length',
    });
    await violates(`UPDATE subscriptions SET server_id = 999999 WHERE id = ${subscriptionId}`, {
      constraint: 'subscriptions_server_id_fkey',
    });
    const other = await newSubscription(pool, userId);
    await pool.query(
      sql.unsafe`UPDATE subscriptions SET xui_email = 'dup@x', xui_client_uuid = gen_random_uuid(), xui_sub_id = 'sub-dup' WHERE id = ${other.id}`,
    );
    await violates(`UPDATE subscriptions SET xui_email = 'dup@x' WHERE id = ${subscriptionId}`, {
      constraint: 'subscriptions_xui_email_key',
    });
    await violates(`UPDATE subscriptions SET xui_sub_id = 'sub-dup' WHERE id = ${subscriptionId}`, {
      constraint: 'subscriptions_xui_sub_id_key',
    });
    await violates(
      `UPDATE subscriptions SET xui_client_uuid = (SELECT xui_client_uuid FROM subscriptions WHERE id = ${other.id}) WHERE id = ${subscriptionId}`,
      {
        constraint: 'subscriptions_xui_client_uuid_key',
      },
    );
    await violates(
      `UPDATE subscriptions SET sub_token = (SELECT sub_token FROM subscriptions WHERE id = ${other.id}) WHERE id = ${subscriptionId}`,
      {
        constraint: 'subscriptions_sub_token_key',
      },
    );
  });

  it('payments', async () => {
    const insert = (values: string) =>
      `INSERT INTO payments (user_id, amount, currency, payment_method, provider, status) VALUES (${userId}, ${values})`;
    await violates(insert(`0, 'RUB', 'card', 'yookassa', 'pending'`), { constraint: 'payments_amount_positive' });
    await violates(insert(`1, 'rub', 'card', 'yookassa', 'pending'`), { constraint: 'payments_currency_code' });
    await violates(insert(`1, 'RUB', 'paypal', 'yookassa', 'pending'`), { constraint: 'payments_method_known' });
    await violates(insert(`1, 'RUB', 'card', 'yookassa', 'paid'`), { constraint: 'payments_status_known' });
    await violates(insert(`1, 'RUB', 'card', 'YooKassa', 'pending'`), { constraint: 'payments_provider_format' });
    await violates(insert(`1, 'RUB', 'stars', 'telegram_stars', 'pending'`), { constraint: 'payments_stars_currency' });
    await violates(insert(`1.5, 'XTR', 'stars', 'telegram_stars', 'pending'`), { constraint: 'payments_stars_whole' });
    await violates(insert(`1, 'RUB', 'card', 'yookassa', 'completed'`), { constraint: 'payments_completed_at_set' });
    await violates(`UPDATE payments SET applied_at = now() WHERE id = ${paymentId}`, { constraint: 'payments_applied_after_completion' });
    await violates(`UPDATE payments SET status = 'refunded', completed_at = now() WHERE id = ${paymentId}`, {
      constraint: 'payments_refunded_at_set',
    });
    await pool.query(sql.unsafe`UPDATE payments SET external_id = 'ext-1' WHERE id = ${paymentId}`);
    await violates(
      `INSERT INTO payments (user_id, amount, payment_method, provider, external_id) VALUES (${userId}, 1, 'card', 'yookassa', 'ext-1')`,
      { constraint: 'payments_provider_external_id_key' },
    );
    // The same external id from another provider is a different payment.
    await pool.query(
      sql.unsafe`INSERT INTO payments (user_id, amount, payment_method, provider, external_id) VALUES (${userId}, 1, 'crypto', 'cryptopay', 'ext-1')`,
    );
    await pool.query(sql.unsafe`UPDATE payments SET idempotency_key = 'k-1' WHERE id = ${paymentId}`);
    await violates(
      insert(`1, 'RUB', 'card', 'yookassa', 'pending'`)
        .replace('status)', 'status, idempotency_key)')
        .replace("'pending')", "'pending', 'k-1')"),
      {
        constraint: 'payments_idempotency_key_key',
      },
    );
  });

  it('referrals', async () => {
    await violates(`INSERT INTO referrals (referrer_id, referred_id) VALUES (${userId}, ${userId})`, { constraint: 'referrals_not_self' });
    await pool.query(sql.unsafe`INSERT INTO referrals (referrer_id, referred_id) VALUES (${userId}, ${otherUserId})`);
    await violates(`INSERT INTO referrals (referrer_id, referred_id) VALUES (${userId}, ${otherUserId})`, {
      constraint: 'referrals_referrer_id_referred_id_key',
    });
    const third = await newUser(pool);
    await violates(`INSERT INTO referrals (referrer_id, referred_id) VALUES (${third.id}, ${otherUserId})`, {
      constraint: 'referrals_referred_id_key',
    });
    await violates(`UPDATE referrals SET status = 'paid' WHERE referred_id = ${otherUserId}`, { constraint: 'referrals_paid_consistent' });
    await violates(`UPDATE referrals SET status = 'done' WHERE referred_id = ${otherUserId}`, { constraint: 'referrals_status_known' });
    await violates(`UPDATE referrals SET bonus_amount = -1 WHERE referred_id = ${otherUserId}`, {
      constraint: 'referrals_bonus_not_negative',
    });
  });

  it('audit_logs and notifications', async () => {
    await violates(`INSERT INTO audit_logs (action, actor) VALUES ('x', 'robot')`, { constraint: 'audit_logs_actor_known' });
    await violates(`INSERT INTO audit_logs (action) VALUES ('x')`, { column: 'actor' });
    const insert = `INSERT INTO notifications (user_id, type, idempotency_key) VALUES (${userId}, 't', 'n-1')`;
    await pool.query(raw(insert));
    await violates(insert, { constraint: 'notifications_idempotency_key_key' });
    await violates(`INSERT INTO notifications (user_id, type) VALUES (${userId}, 't')`, { column: 'idempotency_key' });
    await violates(`UPDATE notifications SET status = 'sent' WHERE idempotency_key = 'n-1'`, { constraint: 'notifications_sent_at_set' });
    await violates(`UPDATE notifications SET status = 'queued' WHERE idempotency_key = 'n-1'`, {
      constraint: 'notifications_status_known',
    });
    await violates(`UPDATE notifications SET attempts = -1 WHERE idempotency_key = 'n-1'`, {
      constraint: 'notifications_attempts_not_negative',
    });
  });

  it('webhook_events', async () => {
    const insert = (provider: string, key: string, headers = '{}', status = 'received') =>
      `INSERT INTO webhook_events (provider, event_key, raw_body, headers, status) VALUES ('${provider}', '${key}', '{}', '${headers}', '${status}')`;
    await pool.query(raw(insert('yookassa', 'e-1')));
    await violates(insert('yookassa', 'e-1'), { constraint: 'webhook_events_provider_event_key_key' });
    await violates(insert('Yoo Kassa', 'e-2'), { constraint: 'webhook_events_provider_format' });
    await violates(insert('yookassa', ''), { constraint: 'webhook_events_event_key_not_empty' });
    await violates(insert('yookassa', 'e-3', '{"authorization": "Basic x"}'), { constraint: 'webhook_events_headers_no_secrets' });
    await violates(insert('yookassa', 'e-4', '[]'), { constraint: 'webhook_events_headers_object' });
    await violates(insert('yookassa', 'e-5', '{}', 'done'), { constraint: 'webhook_events_status_known' });
    await violates(insert('yookassa', 'e-6', '{}', 'settled'), { constraint: 'webhook_events_processed_at_set' });
  });

  it('balance_ledger (the identity and append-only rules are tested in ledger-repository.test.ts)', async () => {
    const insert = (amount: string, reason: string, source = 'NULL, NULL') =>
      `INSERT INTO balance_ledger (user_id, amount, balance_after, reason, source_table, source_id, idempotency_key)
       VALUES (${userId}, ${amount}, 0, '${reason}', ${source}, 'l-${Math.random()}')`;
    await violates(insert('0', 'operator_adjustment'), { constraint: 'balance_ledger_amount_not_zero' });
    await violates(insert('-1', 'top_up'), { constraint: 'balance_ledger_reason_sign' });
    await violates(insert('1', 'subscription_purchase'), { constraint: 'balance_ledger_reason_sign' });
    await violates(insert('1', 'gift'), { constraint: 'balance_ledger_reason_known' });
    await violates(insert('1', 'top_up', `'payments', NULL`), { constraint: 'balance_ledger_source_pair' });
    await violates(insert('1', 'top_up', `'users', 1`), { constraint: 'balance_ledger_source_table_known' });
  });
});
