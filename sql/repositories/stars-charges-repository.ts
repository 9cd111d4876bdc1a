import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { starsChargeRow, type StarsChargeRow } from '../schemas/stars-charge-row';
import { writeAuditLog, type Actor } from './audit-repository';

/** A charge as it is stored first, before anything acts on it. */
export interface NewStarsCharge {
  telegramPaymentChargeId: string;
  providerPaymentChargeId?: string | null;
  telegramUserId: number;
  invoicePayload: string;
  currency: string;
  /** Whole Stars. */
  totalAmount: number;
  /** What Telegram sent (successful_payment, or the StarTransaction); no secrets. */
  raw: Record<string, unknown>;
  recordedBy: 'bot' | 'reconciler';
  /** The order id the payload names (payments.id), when it parses; linked only if such a payment exists. */
  orderId: number | null;
}

/**
 * Stores a charge, once per `telegram_payment_charge_id`: one INSERT, nothing else, so it is the
 * write most likely to succeed. A repeat returns the stored row.
 *
 * @idempotency telegramPaymentChargeId
 * @returns the row and whether this call stored it
 */
export async function recordStarsCharge(
  connection: CommonQueryMethods,
  input: NewStarsCharge,
): Promise<{ created: boolean; charge: StarsChargeRow }> {
  const created = await connection.maybeOne(sql.type(starsChargeRow)`
    INSERT INTO stars_charges (telegram_payment_charge_id, provider_payment_charge_id, telegram_user_id, invoice_payload, currency, total_amount, raw, recorded_by, payment_id)
    VALUES (
      ${input.telegramPaymentChargeId}, ${input.providerPaymentChargeId ?? null}, ${input.telegramUserId}, ${input.invoicePayload.slice(0, 128)},
      ${input.currency.slice(0, 8)}, ${input.totalAmount}, ${sql.jsonb(input.raw as never)}, ${input.recordedBy},
      (SELECT id FROM payments WHERE id = ${input.orderId ?? 0})
    )
    ON CONFLICT (telegram_payment_charge_id) DO NOTHING
    RETURNING *
  `);
  if (created !== null) return { created: true, charge: created };
  const existing = await getStarsChargeByChargeId(connection, input.telegramPaymentChargeId);
  if (existing === null) throw new Error('stars charge vanished after a conflicting insert');
  return { created: false, charge: existing };
}

/** The charge with this row id, or null. */
export async function getStarsCharge(connection: CommonQueryMethods, id: number): Promise<StarsChargeRow | null> {
  return connection.maybeOne(sql.type(starsChargeRow)`SELECT * FROM stars_charges WHERE id = ${id}`);
}

/** The charge with this Telegram charge id, or null. */
export async function getStarsChargeByChargeId(
  connection: CommonQueryMethods,
  telegramPaymentChargeId: string,
): Promise<StarsChargeRow | null> {
  return connection.maybeOne(
    sql.type(starsChargeRow)`SELECT * FROM stars_charges WHERE telegram_payment_charge_id = ${telegramPaymentChargeId}`,
  );
}

/** The charge, locked FOR UPDATE until the surrounding transaction ends; null when absent. */
export async function lockStarsCharge(connection: CommonQueryMethods, id: number): Promise<StarsChargeRow | null> {
  return connection.maybeOne(sql.type(starsChargeRow)`SELECT * FROM stars_charges WHERE id = ${id} FOR UPDATE`);
}

/** The charges of a payment, oldest first. */
export async function listStarsChargesOfPayment(connection: CommonQueryMethods, paymentId: number): Promise<readonly StarsChargeRow[]> {
  return connection.any(sql.type(starsChargeRow)`SELECT * FROM stars_charges WHERE payment_id = ${paymentId} ORDER BY id`);
}

/**
 * Whether a charge for this payment is stored but not yet decided: the order must then not be
 * cancelled at its timeout (the charge is about to complete it).
 */
export async function hasUndecidedStarsCharge(connection: CommonQueryMethods, paymentId: number): Promise<boolean> {
  return connection.exists(sql.unsafe`SELECT 1 FROM stars_charges WHERE payment_id = ${paymentId} AND status = 'received'`);
}

/**
 * Records the decision for a received charge (received -> applied | refunding | unresolved) with
 * its audit row. A charge already decided keeps its decision (returns null).
 *
 * @idempotency id (conditional on status 'received')
 */
export async function decideStarsChargeRow(
  connection: CommonQueryMethods,
  input: {
    id: number;
    status: 'applied' | 'refunding' | 'unresolved';
    reason: string | null;
    paymentId: number | null;
    userId: number | null;
    actor: Actor;
  },
): Promise<StarsChargeRow | null> {
  return connection.transaction(async (tx) => {
    const decided = await tx.maybeOne(sql.type(starsChargeRow)`
      UPDATE stars_charges
      SET status = ${input.status}, reason = ${input.reason}, decided_at = now(), payment_id = coalesce(${input.paymentId}::int, payment_id)
      WHERE id = ${input.id} AND status = 'received'
      RETURNING *
    `);
    if (decided === null) return null;
    await writeAuditLog(tx, {
      actor: input.actor,
      action: `stars_charge.${input.status === 'refunding' ? 'refund_decided' : input.status}`,
      entityType: 'stars_charge',
      entityId: decided.id,
      userId: input.userId,
      details: { payment_id: decided.payment_id, stars: decided.total_amount, reason: decided.reason, recorded_by: decided.recorded_by },
    });
    return decided;
  });
}

/**
 * refunding -> `to` with `assignment`, audited `stars_charge.{to}` with `details` after the common
 * ones; a charge no longer refunding is returned as it is. @idempotency id
 */
async function leaveRefunding(
  connection: CommonQueryMethods,
  input: { id: number; userId: number | null; actor: Actor },
  to: 'refunded' | 'unresolved',
  assignment: ReturnType<typeof sql.fragment>,
  details: Record<string, unknown>,
): Promise<StarsChargeRow> {
  return connection.transaction(async (tx) => {
    const changed = await tx.maybeOne(sql.type(starsChargeRow)`
      UPDATE stars_charges SET status = ${to}, ${assignment} WHERE id = ${input.id} AND status = 'refunding' RETURNING *
    `);
    if (changed === null) return tx.one(sql.type(starsChargeRow)`SELECT * FROM stars_charges WHERE id = ${input.id}`);
    await writeAuditLog(tx, {
      actor: input.actor,
      action: `stars_charge.${to}`,
      entityType: 'stars_charge',
      entityId: changed.id,
      userId: input.userId,
      details: { payment_id: changed.payment_id, stars: changed.total_amount, reason: changed.reason, ...details },
    });
    return changed;
  });
}

/** refunding -> refunded (the Stars are back with the payer), audited. @idempotency id */
export async function markStarsChargeRefunded(
  connection: CommonQueryMethods,
  input: { id: number; userId: number | null; alreadyRefunded: boolean; actor: Actor },
): Promise<StarsChargeRow> {
  return leaveRefunding(connection, input, 'refunded', sql.fragment`refunded_at = now()`, { already_refunded: input.alreadyRefunded });
}

/** refunding -> unresolved: Telegram refused the refund; an operator must look. Audited. @idempotency id */
export async function markStarsChargeUnresolved(
  connection: CommonQueryMethods,
  input: { id: number; userId: number | null; reason: string; actor: Actor },
): Promise<StarsChargeRow> {
  return leaveRefunding(connection, input, 'unresolved', sql.fragment`reason = ${input.reason.slice(0, 64)}`, {});
}

/** Sets one of the step timestamps (first time only) and returns the row. @idempotency id+step */
export async function markStarsChargeStep(
  connection: CommonQueryMethods,
  input: { id: number; step: 'handed_off_at' | 'user_notified_at' | 'settled_at' },
): Promise<StarsChargeRow> {
  const column = sql.identifier([input.step]);
  return connection.one(sql.type(starsChargeRow)`
    UPDATE stars_charges SET ${column} = coalesce(${column}, now()) WHERE id = ${input.id} RETURNING *
  `);
}

/** Charges not settled yet that were stored before `olderThan`, oldest first (the reconciler restarts them). */
export async function listUnsettledStarsCharges(
  connection: CommonQueryMethods,
  input: { olderThan: Date; limit?: number },
): Promise<readonly StarsChargeRow[]> {
  return connection.any(sql.type(starsChargeRow)`
    SELECT * FROM stars_charges WHERE settled_at IS NULL AND received_at < ${sql.timestamp(input.olderThan)}
    ORDER BY received_at LIMIT ${input.limit ?? 100}
  `);
}

/** Which of these Telegram charge ids are stored. */
export async function knownStarsChargeIds(connection: CommonQueryMethods, chargeIds: readonly string[]): Promise<Set<string>> {
  if (chargeIds.length === 0) return new Set();
  const rows = await connection.anyFirst(sql.type(z.object({ telegram_payment_charge_id: z.string() }))`
    SELECT telegram_payment_charge_id FROM stars_charges WHERE telegram_payment_charge_id = ANY(${sql.array(chargeIds, 'text')})
  `);
  return new Set(rows);
}

/** The getStarTransactions offset below which every incoming charge is stored. */
export async function getStarsReconcileOffset(connection: CommonQueryMethods): Promise<number> {
  return (
    (await connection.maybeOneFirst(
      sql.type(z.object({ next_offset: z.number().int() }))`SELECT next_offset FROM stars_reconcile_cursor`,
    )) ?? 0
  );
}

/** Moves the cursor forward (never back). */
export async function advanceStarsReconcileOffset(connection: CommonQueryMethods, nextOffset: number): Promise<void> {
  await connection.query(sql.unsafe`
    UPDATE stars_reconcile_cursor SET next_offset = greatest(next_offset, ${nextOffset}), updated_at = now()
  `);
}
