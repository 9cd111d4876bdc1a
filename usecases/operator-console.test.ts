/**
 * The operator console's use cases on a real Postgres: search by every handle an operator has,
 * the user card, a balance adjustment through the ledger (audited with the operator and the
 * reason, once per request), promo codes with usage, and the move check that refuses a move with
 * nowhere to go before any workflow is asked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database';
import { newActiveSubscription, newServer, newUser, testActor } from '../test/support/db-fixtures';
import { moveBlocker } from '../sql/repositories/operator-console-repository';
import { countAuditLogs } from '../sql/repositories/audit-repository';
import { registerReferral } from '../sql/repositories/referrals-repository';
import { createOperatorConsole } from './operator-console';
import { fakeServices, message, withBot } from '../test/support/bot-test-kit';
import { adminRu } from '../bot/locales/admin-ru';

let db: TestDatabase;
let pool: DatabasePool;
const OPERATOR = 424242;

before(async () => {
  db = await createTestDatabase();
  pool = db.pool;
});
after(async () => db.drop());

/** Places the subscription on the server with a key, as provisioning would. */
async function provision(subscriptionId: number, serverId: number, uuid: string) {
  await pool.query(sql.unsafe`
    UPDATE subscriptions SET server_id = ${serverId}, xui_client_uuid = ${uuid}::uuid,
      vpn_key = ${`vless://${uuid}@host.example:443?security=reality#s${subscriptionId}`}
    WHERE id = ${subscriptionId}
  `);
}

/** Gives the server what a panel client needs, so it is eligible for placement. */
async function withPanel(serverId: number, options: { maxUsers?: number; status?: 'up' | 'down' } = {}) {
  await pool.query(sql.unsafe`
    UPDATE vpn_servers SET xui_panel_url = 'http://127.0.0.1:1', xui_username = 'u', xui_password_enc = 'v1:AA==:AA==:',
      status = ${options.status ?? 'up'}, down_since = ${options.status === 'down' ? sql.timestamp(new Date()) : null}, max_users = ${options.maxUsers ?? 10}
    WHERE id = ${serverId}
  `);
}

describe('operator console use cases', () => {
  it('finds a user by Telegram id, @username, subscription id, key fragment and /sub token fragment', async () => {
    const console = createOperatorConsole({ db: pool });
    const user = await newUser(pool);
    await pool.query(sql.unsafe`UPDATE users SET username = ${`Ann_${user.id}`} WHERE id = ${user.id}`);
    const server = await newServer(pool);
    const subscription = await newActiveSubscription(pool, { userId: user.id });
    const uuid = `0e0e0e0e-1111-4222-8333-${String(user.id).padStart(12, '0')}`;
    await provision(subscription.id, server.id, uuid);
    const token = (
      await pool.one(sql.type(z.object({ sub_token: z.string() }))`SELECT sub_token FROM subscriptions WHERE id = ${subscription.id}`)
    ).sub_token;

    const ids = async (query: string) => (await console.findUsers(query)).map((found) => [found.userId, found.matched]);
    assert.deepEqual(await ids(String(user.telegram_id)), [[user.id, 'telegram_id']]);
    assert.deepEqual(await ids(`@ann_${user.id}`), [[user.id, 'username']]);
    assert.deepEqual(await ids(String(subscription.id)), [[user.id, 'subscription_id']]);
    assert.deepEqual(await ids(uuid.slice(-14)), [[user.id, 'key']]);
    assert.deepEqual(await ids(token.slice(5, 20)), [[user.id, 'sub_token']]);
    assert.deepEqual(await ids('%%%%%%%%%%'), [], 'LIKE wildcards match only themselves');
    assert.deepEqual(await ids('nobody_here_at_all'), []);
  });

  it('shows the card (subscriptions, payments with ids, ledger, referrals, audit) and adjusts the balance through the ledger once per request', async () => {
    const console = createOperatorConsole({ db: pool });
    const referrer = await newUser(pool);
    const user = await newUser(pool);
    await registerReferral(pool, { referrerId: referrer.id, referredId: user.id, actor: testActor });
    const subscription = await newActiveSubscription(pool, { userId: user.id });

    const credit = {
      userId: user.id,
      amountKopecks: 15_050n,
      reason: 'compensation for downtime',
      operatorTelegramId: OPERATOR,
      requestId: 'tg-1',
    };
    assert.deepEqual(await console.adjustBalance(credit), { ok: true, balanceKopecks: 15_050n });
    assert.deepEqual(await console.adjustBalance(credit), { ok: true, balanceKopecks: 15_050n }, 'a redelivered update moves money once');
    assert.deepEqual(await console.adjustBalance({ ...credit, amountKopecks: -20_000n, requestId: 'tg-2' }), {
      ok: false,
      reason: 'insufficient-balance',
    });
    assert.deepEqual(await console.adjustBalance({ ...credit, amountKopecks: -5_050n, requestId: 'tg-3' }), {
      ok: true,
      balanceKopecks: 10_000n,
    });

    const card = await console.userCard(user.id);
    assert.ok(card !== null);
    assert.equal(card.balanceKopecks, 10_000n);
    assert.deepEqual(
      card.subscriptions.map((sub) => [sub.id, sub.status]),
      [[subscription.id, 'active']],
    );
    assert.equal(card.payments.length, 1);
    assert.equal(card.payments[0]?.subscription_id, subscription.id);
    assert.equal(card.payments[0]?.status, 'completed');
    assert.deepEqual(
      card.ledger.map((entry) => [entry.amount, entry.reason]),
      [
        ['-50.50', 'operator_adjustment'],
        ['150.50', 'operator_adjustment'],
      ],
    );
    assert.equal(card.referrals.referredByTelegramId, referrer.telegram_id);
    assert.ok(
      card.audit.some((entry) => entry.action === 'balance.adjusted' && entry.actor === 'operator' && entry.actor_id === String(OPERATOR)),
    );
    const reasons = await pool.any(sql.type(z.object({ reason: z.string() }))`
      SELECT details->>'reason_text' AS reason FROM audit_logs WHERE action = 'balance.adjusted' AND user_id = ${user.id} ORDER BY id
    `);
    assert.deepEqual(
      reasons.map((row) => row.reason),
      ['compensation for downtime', 'compensation for downtime'],
    );
    assert.equal(await console.userCard(2_000_000_000), null);

    await pool.query(sql.unsafe`UPDATE subscriptions SET vpn_key = 'vless://k@h:443#x' WHERE id = ${subscription.id}`);
    const key = await console.keyToResend(subscription.id);
    assert.deepEqual([key?.userId, key?.telegramId, key?.vpnKey], [user.id, user.telegram_id, 'vless://k@h:443#x']);
    await console.recordOperatorAction({
      action: 'subscription.key_resent',
      operatorTelegramId: OPERATOR,
      subscriptionId: subscription.id,
      userId: user.id,
    });
    assert.equal(await countAuditLogs(pool, { action: 'subscription.key_resent', entityId: subscription.id }), 1);
    assert.ok(
      (await console.userCard(user.id))?.audit.some(
        (entry) => entry.action === 'subscription.key_resent' && entry.actor_id === String(OPERATOR),
      ),
    );
  });

  it('creates percent and fixed promo codes, lists them with usage and disables one (audited)', async () => {
    const console = createOperatorConsole({ db: pool });
    const suffix = String(Date.now() % 100000);
    const percent = await console.createPromo({
      code: `pct${suffix}`,
      percentOff: 25,
      maxRedemptions: 100,
      expiresAt: new Date('2099-01-01T00:00:00Z'),
      operatorTelegramId: OPERATOR,
    });
    const fixed = await console.createPromo({ code: `FIX${suffix}`, amountOffKopecks: 10_000n, operatorTelegramId: OPERATOR });
    assert.ok(percent.ok && fixed.ok);
    assert.equal(percent.promo.code, `PCT${suffix}`);
    assert.equal(fixed.promo.amount_off, '100.00');
    assert.deepEqual(await console.createPromo({ code: `PCT${suffix}`, percentOff: 5, operatorTelegramId: OPERATOR }), {
      ok: false,
      reason: 'exists',
    });
    assert.deepEqual(
      await console.createPromo({ code: `BOTH${suffix}`, percentOff: 5, amountOffKopecks: 100n, operatorTelegramId: OPERATOR }),
      { ok: false, reason: 'invalid' },
    );

    const listed = await console.listPromos();
    const mine = listed.filter((promo) => promo.code.endsWith(suffix));
    assert.deepEqual(
      mine.map((promo) => [promo.code, promo.redeemed_count, promo.reserved, promo.is_active]),
      [
        [`FIX${suffix}`, 0, 0, true],
        [`PCT${suffix}`, 0, 0, true],
      ],
    );
    assert.equal(await console.disablePromo({ promoCodeId: percent.promo.id, operatorTelegramId: OPERATOR }), true);
    assert.equal(await console.disablePromo({ promoCodeId: percent.promo.id, operatorTelegramId: OPERATOR }), false, 'already off');
    assert.equal(await countAuditLogs(pool, { action: 'promo_code.disabled', entityId: percent.promo.id }), 1);
    assert.equal((await console.listPromos()).find((promo) => promo.id === percent.promo.id)?.is_active, false);
  });

  it('refuses a move up front when no other server can take the subscription, names the reason, and allows it once one can', async () => {
    // Every other server in this database is taken out, so "any other server" means the ones made here.
    await pool.query(sql.unsafe`UPDATE vpn_servers SET is_active = false`);
    const home = await newServer(pool);
    await withPanel(home.id);
    const subscription = await newActiveSubscription(pool);
    await provision(subscription.id, home.id, '0e0e0e0e-2222-4222-8333-000000000001');

    assert.equal(await moveBlocker(pool, { subscriptionId: subscription.id }), 'no-other-server', 'a one-server setup has nowhere to move');
    assert.equal(await moveBlocker(pool, { subscriptionId: subscription.id, toServerId: home.id }), 'same-server');
    assert.equal(await moveBlocker(pool, { subscriptionId: subscription.id, toServerId: 2_000_000_000 }), 'no-such-server');
    assert.equal(await moveBlocker(pool, { subscriptionId: 2_000_000_000 }), 'no-subscription');

    const full = await newServer(pool, 1);
    await withPanel(full.id, { maxUsers: 1 });
    await pool.query(sql.unsafe`UPDATE vpn_servers SET current_users = 1 WHERE id = ${full.id}`);
    const down = await newServer(pool);
    await withPanel(down.id, { status: 'down' });
    assert.equal(await moveBlocker(pool, { subscriptionId: subscription.id, toServerId: full.id }), 'server-unavailable', 'full');
    assert.equal(await moveBlocker(pool, { subscriptionId: subscription.id, toServerId: down.id }), 'server-unavailable', 'down');
    assert.equal(await moveBlocker(pool, { subscriptionId: subscription.id }), 'no-other-server');

    const spare = await newServer(pool);
    await withPanel(spare.id);
    assert.equal(await moveBlocker(pool, { subscriptionId: subscription.id }), null);
    assert.equal(await moveBlocker(pool, { subscriptionId: subscription.id, toServerId: spare.id }), null);

    await pool.query(sql.unsafe`UPDATE subscriptions SET status = 'cancelled' WHERE id = ${subscription.id}`);
    assert.equal(await moveBlocker(pool, { subscriptionId: subscription.id, toServerId: spare.id }), 'not-active');
  });

  it('through the bot: an operator finds a user by @username, reads the card and adjusts the balance, landing in the ledger', async () => {
    const user = await newUser(pool);
    await pool.query(sql.unsafe`UPDATE users SET username = ${`bob_${user.id}`} WHERE id = ${user.id}`);
    const subscription = await newActiveSubscription(pool, { userId: user.id });
    const operator = { id: 7_700_000 + (user.id % 100_000), first_name: 'Op', language_code: 'ru' };
    const { services } = fakeServices({ isAdmin: async (telegramId) => telegramId === operator.id });
    await withBot(
      services,
      async (fake) => {
        fake.userSends(operator, '/admin');
        await message(fake, operator.id, (text) => text === adminRu.menuTitle);
        fake.userPresses(operator, 'adm:find');
        await fake.waitFor((call) => call.ok && call.chatId === operator.id && String(call.params['text']) === adminRu.findPrompt);
        fake.userSends(operator, `@bob_${user.id}`);
        const card = await message(fake, operator.id, (text) => text.startsWith(`Пользователь ${user.telegram_id} @bob_${user.id}`));
        const text = String(card.params['text']);
        assert.match(text, new RegExp(`#${subscription.id} активна`));
        assert.match(text, new RegExp(`#\\d+ 249 ₽ карта оплачен → #${subscription.id}`), 'the payment with its id');
        fake.userPresses(operator, `adm:bal:${user.id}`);
        await message(fake, operator.id, (reply) => reply === adminRu.balancePrompt(user.telegram_id));
        fake.userSends(operator, '+99,90 извинение за простой');
        await message(fake, operator.id, (reply) => reply === adminRu.balanceAdjusted(9_990n));
      },
      { admin: { console: createOperatorConsole({ db: pool }) } },
    );
    const ledger = await pool.any(sql.type(z.object({ amount: z.string(), reason: z.string() }))`
      SELECT amount::text, reason FROM balance_ledger WHERE user_id = ${user.id} ORDER BY id
    `);
    assert.deepEqual(ledger, [{ amount: '99.90', reason: 'operator_adjustment' }]);
    assert.ok(
      (await createOperatorConsole({ db: pool }).userCard(user.id))?.audit.some(
        (entry) => entry.action === 'balance.adjusted' && entry.actor_id === String(operator.id),
      ),
    );
  });
});
