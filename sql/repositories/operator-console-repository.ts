/**
 * Reads and the few writes of the operator console (bot /admin): finding a user by what an
 * operator has at hand, the card of one user, promo codes with their usage, and whether a
 * subscription can move before the move is asked of its workflow.
 */
import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { moneyColumn, timestampColumn } from '../schemas/columns';
import { promoCodeRow, type PromoCodeRow } from '../schemas/promo-code-row';
import { writeAuditLog, type Actor } from './audit-repository';
import { eligibleServer } from './server-eligibility';

/** How a search matched. */
export type UserMatch = 'telegram_id' | 'username' | 'subscription_id' | 'key' | 'sub_token';

const foundUser = z.object({
  user_id: z.number().int(),
  matched: z.enum(['telegram_id', 'username', 'subscription_id', 'key', 'sub_token']),
});

/**
 * Users matching what an operator typed: a number is a Telegram id or a subscription id,
 * `@name` (or a bare name) a username (case-insensitive), and text of 8+ characters a fragment
 * of a VLESS key (uuid, share link) or of a /sub token. At most `limit` users, each once, by the
 * strongest match. Fragments match literally (LIKE wildcards in them are escaped).
 */
export async function searchUsers(
  connection: CommonQueryMethods,
  query: string,
  limit = 10,
): Promise<Array<{ userId: number; matched: UserMatch }>> {
  const text = query.trim();
  if (text === '') return [];
  const parts = [];
  if (/^\d{1,16}$/.test(text)) {
    parts.push(sql.fragment`SELECT id AS user_id, 'telegram_id' AS matched, 1 AS rank FROM users WHERE telegram_id = ${text}::bigint`);
    if (Number(text) <= 2_147_483_647) {
      parts.push(sql.fragment`SELECT user_id, 'subscription_id' AS matched, 2 AS rank FROM subscriptions WHERE id = ${text}::int`);
    }
  }
  const name = text.replace(/^@/, '');
  if (/^[A-Za-z0-9_]{3,32}$/.test(name)) {
    parts.push(sql.fragment`SELECT id AS user_id, 'username' AS matched, 3 AS rank FROM users WHERE lower(username) = lower(${name})`);
  }
  if (text.length >= 8 && !/\s/.test(text)) {
    const like = `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
    parts.push(sql.fragment`SELECT user_id, 'sub_token' AS matched, 4 AS rank FROM subscriptions WHERE sub_token LIKE ${like}`);
    parts.push(
      sql.fragment`SELECT user_id, 'key' AS matched, 5 AS rank FROM subscriptions WHERE vpn_key LIKE ${like} OR xui_client_uuid::text LIKE ${like.toLowerCase()}`,
    );
  }
  if (parts.length === 0) return [];
  const rows = await connection.any(sql.type(foundUser)`
    SELECT DISTINCT ON (user_id) user_id, matched FROM (${sql.join(parts, sql.fragment` UNION ALL `)}) found
    ORDER BY user_id, rank
    LIMIT ${limit}
  `);
  return rows.map((row) => ({ userId: row.user_id, matched: row.matched }));
}

const cardPayment = z.object({
  id: z.number().int(),
  subscription_id: z.number().int().nullable(),
  amount: moneyColumn,
  currency: z.string(),
  payment_method: z.string(),
  status: z.string(),
  created_at: timestampColumn,
});
/** A payment on the user card. */
export type CardPayment = z.infer<typeof cardPayment>;

/** The user's newest payments (any status). */
export async function listUserPayments(connection: CommonQueryMethods, userId: number, limit = 10): Promise<readonly CardPayment[]> {
  return connection.any(sql.type(cardPayment)`
    SELECT id, subscription_id, amount, currency, payment_method, status, created_at
    FROM payments WHERE user_id = ${userId} ORDER BY id DESC LIMIT ${limit}
  `);
}

const cardLedger = z.object({
  id: z.coerce.number(),
  amount: moneyColumn,
  balance_after: moneyColumn,
  reason: z.string(),
  created_at: timestampColumn,
});
/** A ledger row on the user card. */
export type CardLedgerEntry = z.infer<typeof cardLedger>;

/** The user's newest balance movements. */
export async function listUserLedger(connection: CommonQueryMethods, userId: number, limit = 5): Promise<readonly CardLedgerEntry[]> {
  return connection.any(sql.type(cardLedger)`
    SELECT id, amount, balance_after, reason, created_at FROM balance_ledger WHERE user_id = ${userId} ORDER BY id DESC LIMIT ${limit}
  `);
}

const referralCounts = z.object({ invited: z.number().int(), paid: z.number().int(), referred_by: z.number().int().nullable() });

/** How many users this one invited (and how many of them earned a bonus), and who invited them. */
export async function userReferrals(
  connection: CommonQueryMethods,
  userId: number,
): Promise<{ invited: number; paid: number; referredByTelegramId: number | null }> {
  const row = await connection.one(sql.type(referralCounts)`
    SELECT
      (SELECT count(*)::int FROM referrals WHERE referrer_id = ${userId}) AS invited,
      (SELECT count(*)::int FROM referrals WHERE referrer_id = ${userId} AND status = 'paid') AS paid,
      (SELECT r.telegram_id FROM referrals f JOIN users r ON r.id = f.referrer_id WHERE f.referred_id = ${userId} LIMIT 1) AS referred_by
  `);
  return { invited: row.invited, paid: row.paid, referredByTelegramId: row.referred_by };
}

const cardAudit = z.object({
  id: z.number().int(),
  action: z.string(),
  actor: z.string(),
  actor_id: z.string().nullable(),
  created_at: timestampColumn,
});
/** An audit row on the user card. */
export type CardAuditEntry = z.infer<typeof cardAudit>;

/** The newest audit rows about the user. */
export async function listUserAudit(connection: CommonQueryMethods, userId: number, limit = 5): Promise<readonly CardAuditEntry[]> {
  return connection.any(sql.type(cardAudit)`
    SELECT id, action, actor::text AS actor, actor_id, created_at FROM audit_logs WHERE user_id = ${userId} ORDER BY id DESC LIMIT ${limit}
  `);
}

const promoUsage = promoCodeRow.extend({ reserved: z.number().int() });
/** A promo code with its uses: `redeemed_count` consumed, `reserved` held by open orders. */
export type PromoUsage = PromoCodeRow & { reserved: number };

/** Promo codes, newest first, with how many uses open orders hold. */
export async function listPromoCodes(connection: CommonQueryMethods, limit = 20): Promise<readonly PromoUsage[]> {
  return connection.any(sql.type(promoUsage)`
    SELECT p.*, (SELECT count(*)::int FROM promo_redemptions r WHERE r.promo_code_id = p.id AND r.status = 'reserved') AS reserved
    FROM promo_codes p ORDER BY p.id DESC LIMIT ${limit}
  `);
}

/** Turns a promo code off (audited `promo_code.disabled`). @returns false when it was already off or does not exist */
export async function disablePromoCode(connection: CommonQueryMethods, input: { promoCodeId: number; actor: Actor }): Promise<boolean> {
  return connection.transaction(async (tx) => {
    const changed = await tx.maybeOne(sql.type(z.object({ code: z.string() }))`
      UPDATE promo_codes SET is_active = false WHERE id = ${input.promoCodeId} AND is_active RETURNING code
    `);
    if (changed === null) return false;
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'promo_code.disabled',
      entityType: 'promo_code',
      entityId: input.promoCodeId,
      details: { code: changed.code },
    });
    return true;
  });
}

/** Why a subscription cannot move, checked before its workflow is asked. */
export type MoveBlocker = 'no-subscription' | 'not-active' | 'same-server' | 'no-such-server' | 'server-unavailable' | 'no-other-server';

const moveFacts = z.object({ status: z.string(), server_id: z.number().int().nullable() });

/**
 * Whether `subscriptionId` can move now (to `toServerId`, or to any other server): it is active
 * with a client, and the target exists and can take a subscription (open, up, below capacity,
 * with a panel). Read-only: the workflow still takes the slot, so a race can still refuse there.
 * @returns null when the move may go ahead
 */
export async function moveBlocker(
  connection: CommonQueryMethods,
  input: { subscriptionId: number; toServerId?: number | undefined },
): Promise<MoveBlocker | null> {
  const facts = await connection.maybeOne(
    sql.type(moveFacts)`SELECT status::text AS status, server_id FROM subscriptions WHERE id = ${input.subscriptionId}`,
  );
  if (facts === null) return 'no-subscription';
  if (facts.status !== 'active' || facts.server_id === null) return 'not-active';
  const eligible = eligibleServer({ requirePanel: true });
  if (input.toServerId !== undefined) {
    if (input.toServerId === facts.server_id) return 'same-server';
    const target = await connection.maybeOne(sql.type(z.object({ ok: z.boolean() }))`
      SELECT (${eligible}) AS ok FROM vpn_servers WHERE id = ${input.toServerId}
    `);
    if (target === null) return 'no-such-server';
    return target.ok ? null : 'server-unavailable';
  }
  const other = await connection.maybeOne(sql.type(z.object({ id: z.number().int() }))`
    SELECT id FROM vpn_servers WHERE ${eligible} AND id <> ${facts.server_id} LIMIT 1
  `);
  return other === null ? 'no-other-server' : null;
}

const serverTraffic = z.object({ server_id: z.number().int(), bytes: z.coerce.number() });

/** Traffic of the current periods of the subscriptions placed on each server, in bytes. */
export async function trafficByServer(connection: CommonQueryMethods): Promise<Map<number, number>> {
  const rows = await connection.any(sql.type(serverTraffic)`
    SELECT server_id, coalesce(sum(traffic_used), 0)::text AS bytes FROM subscriptions
    WHERE server_id IS NOT NULL AND status = 'active' GROUP BY server_id
  `);
  return new Map(rows.map((row) => [row.server_id, row.bytes]));
}
