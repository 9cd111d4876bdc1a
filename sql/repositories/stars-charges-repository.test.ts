import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { countAuditLogs } from './audit-repository';
import { newPayment, newUser, testActor } from '../../test/support/db-fixtures';
import { decideStarsChargeRow, hasUndecidedStarsCharge, recordStarsCharge, type NewStarsCharge } from './stars-charges-repository';

let db: TestDatabase;
before(async () => {
  db = await createTestDatabase();
});
after(async () => db.drop());

const charge = (id: string, orderId: number | null): NewStarsCharge => ({
  telegramPaymentChargeId: id,
  telegramUserId: 4242,
  invoicePayload: orderId === null ? 'not-ours' : `order:${orderId}`,
  currency: 'XTR',
  totalAmount: 139,
  raw: { telegram_payment_charge_id: id },
  recordedBy: 'bot',
  orderId,
});

describe('stars_charges', () => {
  it('stores a charge once per Telegram charge id, however many deliveries race', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => recordStarsCharge(db.pool, charge('stx-race', null))));
    assert.equal(results.filter((result) => result.created).length, 1);
    assert.equal(new Set(results.map((result) => result.charge.id)).size, 1);
    assert.equal(results[0]?.charge.payment_id, null, 'no such order: no link');
  });

  it('links the order when it exists, keeps it from timing out while undecided, and decides once with an audit row', async () => {
    const user = await newUser(db.pool);
    const order = await newPayment(db.pool, { userId: user.id });
    const { charge: row } = await recordStarsCharge(db.pool, charge('stx-linked', order.id));
    assert.equal(row.payment_id, order.id);
    assert.equal(await hasUndecidedStarsCharge(db.pool, order.id), true);
    const decide = () =>
      decideStarsChargeRow(db.pool, {
        id: row.id,
        status: 'refunding',
        reason: 'second-charge',
        paymentId: order.id,
        userId: user.id,
        actor: testActor,
      });
    assert.equal((await decide())?.status, 'refunding');
    assert.equal(await decide(), null, 'the decision is taken once');
    assert.equal(await hasUndecidedStarsCharge(db.pool, order.id), false);
    assert.equal(await countAuditLogs(db.pool, { action: 'stars_charge.refund_decided', entityId: row.id }), 1);
  });

  it('lets at most one charge be applied to a payment, and never turns an applied charge into a refund', async () => {
    const user = await newUser(db.pool);
    const order = await newPayment(db.pool, { userId: user.id });
    const first = (await recordStarsCharge(db.pool, charge('stx-a', order.id))).charge;
    const second = (await recordStarsCharge(db.pool, charge('stx-b', order.id))).charge;
    const apply = (id: number) =>
      decideStarsChargeRow(db.pool, { id, status: 'applied', reason: null, paymentId: order.id, userId: user.id, actor: testActor });
    assert.equal((await apply(first.id))?.status, 'applied');
    await assert.rejects(apply(second.id), (error: unknown) =>
      String((error as { constraint?: string }).constraint ?? error).includes('stars_charges_one_applied_per_payment'),
    );
    for (const status of ['refunding', 'received', 'unresolved']) {
      await assert.rejects(
        db.pool.query(sql.unsafe`UPDATE stars_charges SET status = ${status} WHERE id = ${first.id}`),
        (error: unknown) => String((error as { constraint?: string }).constraint ?? error).includes('stars_charges_decision_final'),
        `applied -> ${status}`,
      );
    }
  });
});
