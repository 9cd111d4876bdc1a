import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PAYMENT_METHODS } from './bot-services';
import {
  CALLBACK_TYPES,
  callbackTrigger,
  encodeCallback,
  LANGUAGES,
  PLATFORMS,
  parseCallback,
  parseGiftCode,
  parseReferralCode,
  type CallbackAction,
} from './callback-data';

/** Every action a button can carry. */
const anyAction = fc.oneof(
  fc.constant<CallbackAction>({ type: 'plans' }),
  fc.integer({ min: 1, max: 2_147_483_647 }).map((planId): CallbackAction => ({ type: 'plan', planId })),
  fc
    .tuple(fc.integer({ min: 1, max: 2_147_483_647 }), fc.constantFrom(...PAYMENT_METHODS))
    .map(([planId, method]): CallbackAction => ({ type: 'pay', planId, method })),
  fc.integer({ min: 1, max: 2_147_483_647 }).map((planId): CallbackAction => ({ type: 'gift', planId })),
  fc
    .tuple(fc.integer({ min: 1, max: 2_147_483_647 }), fc.constantFrom(...PAYMENT_METHODS))
    .map(([planId, method]): CallbackAction => ({ type: 'gpay', planId, method })),
  fc.constant<CallbackAction>({ type: 'gifts' }),
  fc.constant<CallbackAction>({ type: 'trial' }),
  fc.boolean().map((enabled): CallbackAction => ({ type: 'autorenew', enabled })),
  fc.constantFrom<CallbackAction>(
    { type: 'menu' },
    { type: 'subs' },
    { type: 'balance' },
    { type: 'help' },
    { type: 'support' },
    { type: 'lang' },
  ),
  fc
    .tuple(fc.constantFrom('sub', 'qr', 'key', 'renew'), fc.integer({ min: 1, max: 2_147_483_647 }))
    .map(([type, subscriptionId]): CallbackAction => ({ type, subscriptionId })),
  fc
    .tuple(fc.integer({ min: 1, max: 2_147_483_647 }), fc.constantFrom(...PLATFORMS))
    .map(([subscriptionId, platform]): CallbackAction => ({ type: 'how', subscriptionId, platform })),
  fc
    .tuple(fc.integer({ min: 1, max: 2_147_483_647 }), fc.constantFrom(...PAYMENT_METHODS))
    .map(([subscriptionId, method]): CallbackAction => ({ type: 'rpay', subscriptionId, method })),
  fc.constantFrom(...LANGUAGES).map((language): CallbackAction => ({ type: 'setlang', language })),
);

describe('callback data', () => {
  it("round-trips every action and fits Telegram's 64-byte limit", () => {
    fc.assert(
      fc.property(anyAction, (value) => {
        const data = encodeCallback(value);
        assert.ok(Buffer.byteLength(data) <= 64);
        assert.deepEqual(parseCallback(data), value);
      }),
    );
  });

  it('rejects malformed, unknown and oversized data without throwing', () => {
    for (const data of [
      undefined,
      '',
      'plan',
      'plan:',
      'plan:0',
      'plan:01',
      'plan:1.5',
      'plan:1e3',
      'plan:1:2',
      'pay:1',
      'pay:1:paypal',
      'plans:1',
      'refund:1',
      'plan:99999999999',
      `plan:1${' '.repeat(70)}`,
      'trial:1',
      'autorenew',
      'autorenew:',
      'autorenew:yes',
      'autorenew:on:1',
      'autorenew:ON',
    ]) {
      assert.equal(parseCallback(data), undefined, String(data));
    }
    fc.assert(fc.property(fc.string(), (data) => void parseCallback(data)));
  });

  it('routes by type prefix: a trigger matches its own type with any arguments and no other type', () => {
    assert.ok(callbackTrigger('plan').test('plan:2'));
    assert.ok(callbackTrigger('plan').test('plan:01'), 'malformed data of a type reaches that type, which answers it as stale');
    assert.ok(callbackTrigger('plans').test('plans'));
    assert.ok(!callbackTrigger('plan').test('plans'));
    assert.ok(!callbackTrigger('plans').test('plan:1'));
    assert.ok(!callbackTrigger('pay').test('paypal:1'));
    assert.ok(!callbackTrigger('trial').test('xtrial'));
    assert.ok(!callbackTrigger('lang').test('setlang:en'));
    assert.ok(!callbackTrigger('sub').test('subs'));
    fc.assert(
      fc.property(anyAction, (action) => {
        const data = encodeCallback(action);
        const matching = CALLBACK_TYPES.filter((type) => callbackTrigger(type).test(data));
        assert.deepEqual(matching, [action.type], 'every valid button has exactly one route');
      }),
    );
  });

  it('reads referral codes from /start payloads', () => {
    assert.equal(parseReferralCode('ref_FRIEND42'), 'FRIEND42');
    assert.equal(parseReferralCode('ref_a-b_c'), 'a-b_c');
    for (const payload of ['', 'ref_', 'FRIEND42', 'ref_bad!code', `ref_${'a'.repeat(61)}`, 'promo_x']) {
      assert.equal(parseReferralCode(payload), undefined, payload);
    }
  });

  it('reads gift codes from /start gift_<code> only', () => {
    assert.equal(parseGiftCode('gift_ABCDEFGH2345'), 'ABCDEFGH2345');
    assert.equal(parseGiftCode(' gift_ab-c_1 '), 'ab-c_1');
    for (const payload of ['', 'gift_', 'ref_ABC', 'gift_a b', 'gift_ä', `gift_${'A'.repeat(60)}`])
      assert.equal(parseGiftCode(payload), undefined, payload);
  });
});
