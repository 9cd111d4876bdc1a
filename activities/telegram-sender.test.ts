import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeTelegram, type FakeTelegram } from '../fakes/telegram';
import { renderQrBase64 } from '../lib/xui/render-qr';
import { ApplicationFailure } from '@temporalio/activity';
import { toActivityFailure } from './to-activity-failure';
import {
  createTelegramSender,
  TelegramBlockedError,
  TelegramRejectedError,
  TelegramUnavailableError,
  type TelegramSender,
} from './telegram-sender';

describe('createTelegramSender (fake Bot API)', () => {
  let fake: FakeTelegram;
  let sender: TelegramSender;

  before(async () => {
    fake = await startFakeTelegram();
    sender = createTelegramSender({ token: fake.token, apiRoot: fake.apiRoot });
  });
  after(async () => fake.close());

  it('sends plain text and reports the message id', async () => {
    const { messageId } = await sender.sendText(501, 'hello');
    const [call] = fake.sent(501);
    assert.equal(call?.method, 'sendMessage');
    assert.equal(call?.params['text'], 'hello');
    assert.equal(call?.params['parse_mode'], undefined);
    assert.ok(Number.isSafeInteger(messageId) && messageId > 0);
  });

  it('sends buttons as an inline keyboard of callback buttons, and no keyboard for none', async () => {
    await sender.sendText(520, 'with buttons', [
      [{ text: 'Open', callbackData: 'adm:u:1' }],
      [{ text: 'Server', callbackData: 'adm:s:2' }],
    ]);
    await sender.sendText(520, 'no buttons', []);
    const [withButtons, without] = fake.sent(520);
    assert.deepEqual(withButtons?.params['reply_markup'], {
      inline_keyboard: [[{ text: 'Open', callback_data: 'adm:u:1' }], [{ text: 'Server', callback_data: 'adm:s:2' }]],
    });
    assert.equal(without?.params['text'], 'no buttons');
    assert.equal(without?.params['reply_markup'], undefined);
  });

  it('uploads a base64 PNG (with or without a data: prefix) as a photo with a caption', async () => {
    const png = await renderQrBase64('vless://example');
    await sender.sendPhoto(502, png, 'your key');
    await sender.sendPhoto(502, `data:image/png;base64,${png}`);
    const calls = fake.sent(502);
    assert.deepEqual(
      calls.map((call) => call.method),
      ['sendPhoto', 'sendPhoto'],
    );
    const expectedBytes = Buffer.from(png, 'base64').length;
    assert.deepEqual(calls[0]?.params['photo'], { byteLength: expectedBytes, filename: 'qr.png' });
    assert.equal(calls[0]?.params['caption'], 'your key');
    assert.deepEqual(calls[1]?.params['photo'], { byteLength: expectedBytes, filename: 'qr.png' });
  });

  it('waits out a 429 retry_after and then succeeds', async () => {
    fake.injectRateLimit('sendMessage', 1);
    const started = Date.now();
    await sender.sendText(503, 'after a wait');
    assert.ok(Date.now() - started >= 900);
    assert.deepEqual(
      fake.sent(503).map((call) => [call.method, call.ok]),
      [
        ['sendMessage', false],
        ['sendMessage', true],
      ],
    );
  });

  it('does not spend its retries on a long retry_after: the call fails at once carrying the wait, and the activity retries no sooner', async () => {
    fake.injectRateLimit('sendMessage', 45);
    const started = Date.now();
    let thrown: unknown;
    await sender.sendText(508, 'x').catch((error: unknown) => (thrown = error));
    assert.ok(Date.now() - started < 1_000, 'no inline wait of 45 s, and no early retry either');
    assert.ok(thrown instanceof TelegramUnavailableError && thrown.retryAfterMs === 45_000);
    assert.equal(fake.sent(508).length, 1, 'one request, no retry after 1 s');
    const failure = toActivityFailure(thrown);
    assert.ok(failure instanceof ApplicationFailure && !failure.nonRetryable);
    assert.equal(failure.nextRetryDelay, 45_000, 'the next activity attempt is scheduled after retry_after');
  });

  it('waits out retry_after=45 inside the call when allowed to (scaled down 1000x here)', async () => {
    const patient = createTelegramSender({ token: fake.token, apiRoot: fake.apiRoot, maxDelaySeconds: 60, retryAfterScale: 0.001 });
    fake.injectRateLimit('sendMessage', 45);
    const started = Date.now();
    await patient.sendText(509, 'after 45 scaled seconds');
    assert.ok(Date.now() - started >= 45);
    assert.deepEqual(
      fake.sent(509).map((call) => call.ok),
      [false, true],
    );
  });

  it('spaces messages to one chat a second apart after a short burst (throttle)', async () => {
    const started = Date.now();
    await Promise.all(['one', 'two', 'three', 'four'].map((text) => sender.sendText(510, text)));
    assert.ok(Date.now() - started >= 950, 'the fourth message to the chat waited for its slot');
    assert.deepEqual(
      fake.sent(510).map((call) => call.params['text']),
      ['one', 'two', 'three', 'four'],
    );
  });

  it('types failures: 403 blocked, 4xx rejected, long 429 and network errors unavailable', async () => {
    fake.setBlocked(504, true);
    await assert.rejects(
      sender.sendText(504, 'x'),
      (error: unknown) => error instanceof TelegramBlockedError && error.code === 'TELEGRAM_BLOCKED' && !error.retryable,
    );
    await assert.rejects(sender.sendText(505, ' '), (error: unknown) => error instanceof TelegramRejectedError && !error.retryable);

    fake.injectRateLimit('sendMessage', 120);
    await assert.rejects(
      sender.sendText(506, 'x'),
      (error: unknown) => error instanceof TelegramUnavailableError && error.retryable && error.retryAfterMs === 120_000,
    );

    const nowhere = createTelegramSender({ token: fake.token, apiRoot: 'http://127.0.0.1:9', timeoutSeconds: 2 });
    await assert.rejects(nowhere.sendText(507, 'x'), (error: unknown) => {
      assert.ok(error instanceof TelegramUnavailableError && error.retryable);
      assert.ok(!error.message.includes(fake.token), 'the token never reaches an error message');
      return true;
    });
  });
});
