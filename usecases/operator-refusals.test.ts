/**
 * The refusals the bot words in the operator's language are recognised from the very messages the
 * subscription workflow's validators and the refund activity produce (taken from the validators
 * themselves, so a reworded validator fails here instead of reaching a Russian operator in English).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_LIFECYCLE_SETTINGS, initialState } from '../workflows/subscription-lifecycle';
import { validateExtend, validateMove, validateRefund } from '../workflows/subscription-messages';
import { refusalCode } from './operator-actions';
import { adminEn } from '../bot/locales/admin-en';
import { adminRu } from '../bot/locales/admin-ru';

/** The message `check` throws. */
function messageOf(check: () => void): string {
  try {
    check();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the validator accepted the input');
}

describe('operator refusal codes', () => {
  const active = { ...initialState(DEFAULT_LIFECYCLE_SETTINGS), phase: 'active' as const, serverId: 3, seenPaymentIds: [7] };

  it("recognise the validators' messages", () => {
    assert.equal(refusalCode(messageOf(() => validateExtend({ days: 5000, requestId: 'r', operatorTelegramId: 1 }))), 'bad-days');
    assert.equal(refusalCode(messageOf(() => validateRefund({ paymentId: 8, operatorTelegramId: 1 }, active))), 'payment-not-applied');
    assert.equal(
      refusalCode(messageOf(() => validateRefund({ paymentId: 7, operatorTelegramId: 1 }, { ...active, phase: 'cancelled' }))),
      'subscription-ended',
    );
    assert.equal(
      refusalCode(messageOf(() => validateMove({ operatorTelegramId: 1 }, { ...active, phase: 'awaiting_payment' }))),
      'not-active',
    );
    assert.equal(refusalCode(messageOf(() => validateMove({ toServerId: 3, operatorTelegramId: 1 }, active))), 'same-server');
  });

  it("recognise the refund activity's messages, and leave unknown ones alone", () => {
    assert.equal(refusalCode('payment 12 is not for subscription 55'), 'payment-not-applied');
    assert.equal(refusalCode('payment 12 is in XTR; only RUB goes to the balance'), 'payment-not-rub');
    assert.equal(refusalCode('payment 12 is refunded; only a completed payment is refunded'), 'payment-not-completed');
    assert.equal(refusalCode('something nobody expected'), undefined);
  });

  it('word every code in both languages, differently', () => {
    for (const code of Object.keys(adminEn.refusal) as Array<keyof typeof adminEn.refusal>) {
      assert.ok(adminRu.refusal[code].startsWith('Отклонено'), code);
      assert.notEqual(adminRu.refusal[code], adminEn.refusal[code]);
      assert.doesNotMatch(adminRu.refusal[code], /[a-z]{4,}/, `${code}: no English words in the Russian text`);
    }
  });
});
