import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OperatorAlertRow } from '../sql/schemas/operator-alert-row';
import { alertButtons, formatAlertMessage, idsLine, MAX_ALERT_SUMMARY_LENGTH, redactSecrets } from './alert-text';

const row: OperatorAlertRow = {
  id: 1,
  alert_key: 'work_parked:sub-42:payment-7:attempt-3',
  kind: 'work_parked',
  summary: 'Payment 7 of subscription 42 keeps failing; parked.',
  subscription_id: 42,
  user_id: null,
  payment_id: 7,
  server_id: 3,
  caller: null,
  status: 'pending',
  created_at: new Date('2026-11-25T13:00:00Z'),
  sent_at: null,
  digested_at: null,
  digested_by: null,
};

describe('alert text', () => {
  it('redacts bot tokens, proxy links, /sub/ tokens, authorization values, secret pairs, long opaque strings and configured secrets', () => {
    const cases: Array<[string, string]> = [
      ['bot 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0 failed', 'bot [redacted token] failed'],
      ['key vless://0f4e6a52-52a3-4b3c-9a6c-1d2e3f4a5b6c@host:443?x=1#NL end', 'key [redacted link] end'],
      ['see https://vpn.example.com/sub/abcdef123456 now', 'see https://vpn.example.com/sub/[redacted] now'],
      ['header Authorization: Bearer abc.def.ghi', 'header Authorization: [redacted] [redacted]'],
      ['sent with Bearer abc.def.ghi', 'sent with Bearer [redacted]'],
      ['login password=hunter2 user=admin', 'login password=[redacted] user=admin'],
      ['api_key: "sk-live-1"', 'api_key: "[redacted]"'],
      ['client 0f4e6a52-52a3-4b3c-9a6c-1d2e3f4a5b6c lost', 'client [redacted] lost'],
      ['the shop said my-shop-secret-9 twice', 'the shop said [redacted] twice'],
    ];
    for (const [input, expected] of cases) assert.equal(redactSecrets(input, ['my-shop-secret-9']), expected);
  });

  it('keeps ids, amounts and names, and bounds the length', () => {
    assert.equal(
      redactSecrets('Payment 7 (249.00 RUB, yookassa) for subscription 42 on NL-1.'),
      'Payment 7 (249.00 RUB, yookassa) for subscription 42 on NL-1.',
    );
    assert.equal(redactSecrets('x '.repeat(MAX_ALERT_SUMMARY_LENGTH)).length, MAX_ALERT_SUMMARY_LENGTH);
    assert.equal(redactSecrets('   '), '(no summary)');
  });

  it('formats kind, summary, the ids present, the key and the digest', () => {
    assert.equal(idsLine(row), 'subscription 42 · payment 7 · server 3');
    assert.equal(
      formatAlertMessage(row, [
        { kind: 'orphan_repaired', count: 2, since: new Date('2026-11-25T12:58:10Z') },
        { kind: 'payment_unapplied', count: 1, since: new Date('2026-11-25T12:59:00Z') },
      ]),
      [
        '⚠️ work_parked',
        'Payment 7 of subscription 42 keeps failing; parked.',
        'subscription 42 · payment 7 · server 3',
        'key: work_parked:sub-42:payment-7:attempt-3',
        "+ 3 more alerts held back by the rate limit since 2026-11-25 12:58 UTC: orphan_repaired ×2, payment_unapplied ×1 (operator_alerts, status 'suppressed')",
      ].join('\n'),
    );
    assert.doesNotMatch(formatAlertMessage(row, []), /held back/);
  });
});

describe('alert buttons', () => {
  it('link an alert to the user card, the subscription and the server in the operator console', () => {
    assert.deepEqual(alertButtons({ user_id: 12, subscription_id: 55, server_id: 3 }), [
      [
        { text: '👤 User / Пользователь', callbackData: 'adm:u:12' },
        { text: '📄 #55', callbackData: 'adm:sub:55' },
        { text: '🖥 Server / Сервер 3', callbackData: 'adm:s:3' },
      ],
    ]);
    assert.deepEqual(alertButtons({ user_id: null, subscription_id: 7, server_id: null }), [
      [{ text: '📄 #7', callbackData: 'adm:sub:7' }],
    ]);
    assert.deepEqual(alertButtons({ user_id: null, subscription_id: null, server_id: null }), []);
    const widest = alertButtons({ user_id: 2_147_483_647, subscription_id: 2_147_483_647, server_id: 2_147_483_647 }).flat();
    assert.equal(widest.length, 3);
    for (const button of widest) {
      assert.ok(Buffer.byteLength(button.callbackData) <= 64, 'within Telegram callback data limit');
    }
  });
});
