import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Api, GrammyError, InputFile } from 'grammy';
import { startFakeTelegram, type FakeTelegram } from './start-fake-telegram';

type Envelope =
  { ok: true; result: unknown } | { ok: false; error_code: number; description: string; parameters?: { retry_after?: number } };

async function call(fake: FakeTelegram, method: string, params: Record<string, unknown> = {}, token = fake.token) {
  const response = await fetch(`${fake.apiRoot}/bot${token}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(params),
  });
  return { status: response.status, body: (await response.json()) as Envelope };
}

async function updates(fake: FakeTelegram, params: Record<string, unknown>) {
  const { body } = await call(fake, 'getUpdates', params);
  assert.ok(body.ok);
  return body.result as Array<{ update_id: number } & Record<string, any>>;
}

/** Reads every pending update and confirms it (the next getUpdates starts after it). */
async function drain(fake: FakeTelegram) {
  const all = await updates(fake, { timeout: 0 });
  const last = all.at(-1);
  if (last !== undefined) await updates(fake, { offset: last.update_id + 1, timeout: 0 });
  return all;
}

describe('fake Telegram Bot API', () => {
  let fake: FakeTelegram;
  let api: Api;
  before(async () => {
    fake = await startFakeTelegram({ preCheckoutDeadlineMs: 300 });
    api = new Api(fake.token, { apiRoot: fake.apiRoot });
  });
  after(() => fake.close());

  it('answers 401 for a wrong token and 404 for an unknown method', async () => {
    assert.deepEqual(await call(fake, 'getMe', {}, '42:wrong'), {
      status: 401,
      body: { ok: false, error_code: 401, description: 'Unauthorized' },
    });
    assert.equal((await call(fake, 'noSuchMethod')).status, 404);
    const me = await api.getMe();
    assert.equal(me.id, 123456);
    assert.equal(me.is_bot, true);
  });

  it('holds getUpdates open until an update arrives, then confirms by offset', async () => {
    const started = Date.now();
    const pending = updates(fake, { timeout: 10 });
    setTimeout(() => fake.userSends({ id: 501, first_name: 'Ann', language_code: 'en' }, '/start ref_abc'), 100);
    const [first] = await pending;
    assert.ok(Date.now() - started < 5000);
    assert.equal(first?.message.text, '/start ref_abc');
    assert.deepEqual(first?.message.entities, [{ type: 'bot_command', offset: 0, length: 6 }]);
    assert.equal(first?.message.from.language_code, 'en');
    assert.equal((await updates(fake, { timeout: 0 })).length, 1, 'not confirmed yet');
    assert.deepEqual(await updates(fake, { offset: first!.update_id + 1, timeout: 0 }), []);

    const idle = Date.now();
    assert.deepEqual(await updates(fake, { timeout: 1 }), []);
    assert.ok(Date.now() - idle >= 900, 'waited for the timeout');
  });

  it('redelivers a confirmed update with its update_id to a poll from offset 0, as after a restart', async () => {
    await drain(fake);
    fake.userSends({ id: 502, first_name: 'Bo' }, 'hello');
    const [sent] = await drain(fake);
    assert.ok(sent !== undefined);
    assert.deepEqual(await updates(fake, { timeout: 0 }), [], 'confirmed');
    assert.deepEqual(fake.updates().at(-1), sent, 'kept in the history');
    fake.redeliver(sent.update_id);
    assert.deepEqual(await drain(fake), [sent], 'the same update, same update_id');
    assert.throws(() => fake.redeliver(9_999_999), /no update 9999999/);
  });

  it('drops update types outside allowed_updates and ends a concurrent poll with 409', async () => {
    fake.userSends(502, 'hello');
    fake.userPresses(502, 'plan:1');
    const [only] = await updates(fake, { allowed_updates: ['callback_query'], timeout: 0 });
    assert.equal(only?.callback_query.data, 'plan:1');
    const confirm = only!.update_id + 1;
    assert.deepEqual(await updates(fake, { offset: confirm, allowed_updates: [], timeout: 0 }), []);

    const first = call(fake, 'getUpdates', { offset: confirm, timeout: 5 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = call(fake, 'getUpdates', { offset: confirm, timeout: 0 });
    assert.equal((await first).status, 409);
    assert.equal((await second).status, 200);
  });

  it('injects 429 with retry_after for the next call of a method only', async () => {
    fake.injectRateLimit('sendMessage', 3);
    const limited = await call(fake, 'sendMessage', { chat_id: 503, text: 'hi' });
    assert.equal(limited.status, 429);
    assert.deepEqual(limited.body, {
      ok: false,
      error_code: 429,
      description: 'Too Many Requests: retry after 3',
      parameters: { retry_after: 3 },
    });
    assert.equal((await call(fake, 'sendMessage', { chat_id: 503, text: 'hi' })).status, 200);
    assert.deepEqual(
      fake.sent(503).map((recorded) => [recorded.method, recorded.ok, recorded.errorCode]),
      [
        ['sendMessage', false, 429],
        ['sendMessage', true, undefined],
      ],
    );
  });

  it('accepts multipart uploads, form bodies, and checks edits and callback answers like Telegram', async () => {
    const photo = await api.sendPhoto(504, new InputFile(Buffer.alloc(1234, 7), 'qr.png'), {
      caption: 'your key',
      reply_markup: { inline_keyboard: [[{ text: 'Again', callback_data: 'plans' }]] },
    });
    assert.equal(photo.caption, 'your key');
    const recorded = await fake.waitFor((sent) => sent.method === 'sendPhoto', 1000);
    assert.deepEqual(recorded.params['photo'], { byteLength: 1234, filename: 'qr.png' });
    assert.deepEqual(recorded.params['reply_markup'], { inline_keyboard: [[{ text: 'Again', callback_data: 'plans' }]] });
    assert.deepEqual(fake.state.chats.find(504, photo.message_id)?.photo?.length, 1234);

    const form = await fetch(`${fake.apiRoot}/bot${fake.token}/sendMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'chat_id=504&text=%5Bnot%20json%5D',
    });
    const sent = (await form.json()) as { result: { message_id: number; text: string } };
    assert.equal(sent.result.text, '[not json]');

    await api.editMessageText(504, sent.result.message_id, 'edited');
    await assert.rejects(api.editMessageText(504, sent.result.message_id, 'edited'), (error: unknown) => {
      assert.ok(error instanceof GrammyError);
      assert.match(error.description, /message is not modified/);
      return true;
    });
    await assert.rejects(api.deleteMessage(504, 999), /message to delete not found/);
    await assert.rejects(
      api.sendMessage(504, 'x', { reply_markup: { inline_keyboard: [[{ text: 'x', callback_data: 'y'.repeat(65) }]] } }),
      /BUTTON_DATA_INVALID/,
    );

    const queryId = fake.userPresses(504, 'plans', sent.result.message_id);
    assert.equal(await api.answerCallbackQuery(queryId, { text: 'ok' }), true);
    await assert.rejects(api.answerCallbackQuery(queryId), /query is too old/);
    assert.equal((await fake.waitFor((c) => c.method === 'answerCallbackQuery' && c.ok)).chatId, 504);
  });

  it('runs the Stars checkout: pre-checkout, successful_payment (also delivered twice), refunds', async () => {
    await drain(fake);
    await api.sendInvoice(505, 'VPN: 1 month', '30 days of VPN', 'order:77', 'XTR', [{ label: '1 month', amount: 150 }]);
    await assert.rejects(api.sendInvoice(505, 'x', 'y', 'order:78', 'RUB', [{ label: 'x', amount: 1 }]), /CURRENCY_INVALID/);

    const paying = fake.userPays({ id: 505, first_name: 'Pavel' }, 'order:77', { deliveries: 2 });
    const [checkout] = await updates(fake, { timeout: 5 });
    assert.deepEqual(
      { ...checkout?.pre_checkout_query, id: undefined, from: undefined },
      { id: undefined, from: undefined, currency: 'XTR', total_amount: 150, invoice_payload: 'order:77' },
    );
    await updates(fake, { offset: checkout!.update_id + 1, timeout: 0 });
    assert.equal(await api.answerPreCheckoutQuery(checkout?.pre_checkout_query.id, true), true);
    const outcome = await paying;
    assert.equal(outcome.status, 'paid');
    assert.ok(outcome.status === 'paid');

    const delivered = await drain(fake);
    assert.equal(delivered.length, 2, 'the same payment message delivered twice');
    for (const update of delivered) {
      assert.equal(update.message.successful_payment.telegram_payment_charge_id, outcome.telegramPaymentChargeId);
      assert.equal(update.message.message_id, outcome.message.message_id);
    }

    assert.equal(await api.refundStarPayment(505, outcome.telegramPaymentChargeId), true);
    await assert.rejects(api.refundStarPayment(505, outcome.telegramPaymentChargeId), (error: unknown) => {
      assert.ok(error instanceof GrammyError);
      assert.equal(error.error_code, 400);
      assert.equal(error.description, 'Bad Request: CHARGE_ALREADY_REFUNDED');
      return true;
    });
    const [refunded] = await drain(fake);
    assert.equal(refunded?.message.refunded_payment.total_amount, 150);
    const { transactions } = await api.getStarTransactions();
    assert.deepEqual(
      transactions.map((transaction) => [transaction.id, transaction.amount, transaction.source?.type, transaction.receiver?.type]),
      [
        [outcome.telegramPaymentChargeId, 150, 'user', undefined],
        [outcome.telegramPaymentChargeId, 150, undefined, 'user'],
      ],
    );
  });

  it('charges without delivering the update (deliveries: 0), pages getStarTransactions, and injects method failures', async () => {
    await drain(fake);
    const before = (await api.getStarTransactions({ offset: 0, limit: 100 })).transactions.length;
    const paying = fake.userPays({ id: 507, first_name: 'Lost' }, 'order:90', { totalAmount: 25, deliveries: 0 });
    const [checkout] = await updates(fake, { timeout: 5 });
    await updates(fake, { offset: checkout!.update_id + 1, timeout: 0 });
    await api.answerPreCheckoutQuery(checkout?.pre_checkout_query.id, true);
    const outcome = await paying;
    assert.ok(outcome.status === 'paid');
    assert.deepEqual(await drain(fake), [], 'Telegram took the Stars but the update never came');
    const page = await api.getStarTransactions({ offset: before, limit: 1 });
    assert.deepEqual(
      page.transactions.map((transaction) => [
        transaction.id,
        transaction.amount,
        transaction.source?.type === 'user' ? transaction.source.invoice_payload : undefined,
      ]),
      [[outcome.telegramPaymentChargeId, 25, 'order:90']],
    );
    assert.deepEqual((await api.getStarTransactions({ offset: before + 1, limit: 100 })).transactions, []);

    fake.injectFailure('refundStarPayment', 500, 'Internal Server Error', 1);
    await assert.rejects(
      api.refundStarPayment(507, outcome.telegramPaymentChargeId),
      (error: unknown) => error instanceof GrammyError && error.error_code === 500,
    );
    assert.equal(
      await api.refundStarPayment(507, outcome.telegramPaymentChargeId),
      true,
      'the next call runs; the failed one changed nothing',
    );
    assert.equal((await drain(fake)).length, 1, 'one refunded_payment message');
  });

  it('emits no payment when the pre-checkout answer misses the deadline or says no', async () => {
    await api.sendInvoice(506, 'VPN', 'VPN', 'order:80', 'XTR', [{ label: 'VPN', amount: 50 }]);
    const late = fake.userPays(506, 'order:80');
    const [checkout] = await updates(fake, { timeout: 5 });
    assert.deepEqual(await late, { status: 'expired' });
    await assert.rejects(api.answerPreCheckoutQuery(checkout?.pre_checkout_query.id, true), /query is too old/);
    assert.deepEqual(await updates(fake, { offset: checkout!.update_id + 1, timeout: 0 }), []);

    const declined = fake.userPays(506, 'order:80');
    const [again] = await updates(fake, { timeout: 5 });
    await api.answerPreCheckoutQuery(again?.pre_checkout_query.id, false, { error_message: 'Sold out' });
    assert.deepEqual(await declined, { status: 'declined', errorMessage: 'Sold out' });
    assert.deepEqual(await updates(fake, { offset: again!.update_id + 1, timeout: 0 }), []);
  });
});
