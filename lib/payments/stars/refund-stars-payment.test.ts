import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Api, GrammyError } from 'grammy';
import { startFakeTelegram, type FakeTelegram } from '../../../fakes/telegram';
import { starsInvoicePayload } from './stars-payload';
import { refundStarsPayment } from './refund-stars-payment';

describe('refundStarsPayment against the fake Bot API', () => {
  let fake: FakeTelegram;
  let api: Api;
  before(async () => {
    fake = await startFakeTelegram();
    api = new Api(fake.token, { apiRoot: fake.apiRoot });
  });
  after(async () => {
    await fake?.close();
  });

  async function paidCharge(userId: number, orderId: number): Promise<string> {
    const payload = starsInvoicePayload(orderId);
    await api.sendInvoice(userId, 'VPN 30 days', '30 days of VPN', payload, 'XTR', [{ label: '30 days', amount: 139 }]);
    const paying = fake.userPays({ id: userId, first_name: 'Payer' }, payload);
    const updates = await api.getUpdates({ timeout: 5, allowed_updates: ['pre_checkout_query'] });
    const query = updates.find((update) => update.pre_checkout_query !== undefined)?.pre_checkout_query;
    assert.ok(query !== undefined, 'the fake sent a pre_checkout_query');
    await api.answerPreCheckoutQuery(query.id, true);
    const outcome = await paying;
    assert.equal(outcome.status, 'paid');
    return outcome.status === 'paid' ? outcome.telegramPaymentChargeId : '';
  }

  it('refunds once and treats a repeat as already done', async () => {
    const chargeId = await paidCharge(7001, 41);
    assert.deepEqual(await refundStarsPayment(api, { telegramUserId: 7001, telegramPaymentChargeId: chargeId }), {
      refunded: true,
      alreadyRefunded: false,
    });
    assert.deepEqual(await refundStarsPayment(api, { telegramUserId: 7001, telegramPaymentChargeId: chargeId }), {
      refunded: true,
      alreadyRefunded: true,
    });
    assert.equal(fake.sent().filter((call) => call.method === 'refundStarPayment' && call.ok).length, 1);
  });

  it('passes other refusals on', async () => {
    await assert.rejects(
      refundStarsPayment(api, { telegramUserId: 7002, telegramPaymentChargeId: 'no-such-charge' }),
      (error: unknown) => error instanceof GrammyError && error.description.includes('CHARGE_NOT_FOUND'),
    );
  });
});
