/**
 * /invariants against the fake Telegram: only operators may run it; the report (all clear, or
 * the violations, at most INVARIANT_LINES of them) comes back as one message; without a worker
 * task queue the command says it is unavailable.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { InvariantReport } from '../activities/contracts/invariant-activities';
import { fakeServices, message, withBot } from '../test/support/bot-test-kit';
import { en, ru } from './locales';
import { INVARIANT_LINES } from './locales/en';
import type { OperatorActions } from '../usecases/operator-types';

const ADMIN = 9001;
const admin = { id: ADMIN, first_name: 'Op', language_code: 'en' };

function report(violations: number): InvariantReport {
  return {
    checkedAt: '2026-11-25T12:00:00.000Z',
    ok: violations === 0,
    checked: { payments: 3, activeSubscriptions: 2, users: 4, panels: 1 },
    violations: Array.from({ length: violations }, (_, index) => ({
      kind: 'client_missing' as const,
      subscriptionId: index + 1,
      summary: `active subscription ${index + 1} has no live client on server 1`,
    })),
    omitted: 0,
  };
}

function operatorWith(checkInvariants: OperatorActions['checkInvariants']): { operator: OperatorActions; requests: string[] } {
  const requests: string[] = [];
  const refuse = async () => ({ ok: false as const, reason: 'no-workflow' as const });
  const operator: OperatorActions = {
    describeSubscription: async () => null,
    describeUser: async () => null,
    extend: refuse,
    refund: refuse,
    move: refuse,
    cancel: refuse,
    ...(checkInvariants === undefined
      ? {}
      : {
          checkInvariants: async (request) => {
            requests.push(request.requestId);
            return checkInvariants(request);
          },
        }),
  };
  return { operator, requests };
}

describe('/invariants', () => {
  it('refuses non-operators and prints the report for operators', async () => {
    const { services } = fakeServices({ isAdmin: async (id) => id === ADMIN });
    let next = report(0);
    const { operator, requests } = operatorWith(async () => ({ ok: true, value: next }));
    await withBot(
      services,
      async (fake) => {
        fake.userSends({ id: 9100, language_code: 'en' }, '/invariants');
        await message(fake, 9100, (reply) => reply === en.operator.notAllowed);
        assert.deepEqual(requests, []);

        fake.userSends(admin, '/invariants');
        await message(fake, ADMIN, (reply) => reply === en.operator.invariants(report(0)));
        assert.match(
          en.operator.invariants(report(0)),
          /All invariants hold \(3 payments, 2 active subscriptions, 1 panels, 4 users checked\)/,
        );

        next = report(2);
        fake.userSends({ ...admin, language_code: 'ru' }, '/invariants');
        const reply = await message(fake, ADMIN, (text) => text === ru.operator.invariants(report(2)));
        assert.match(String(reply.params['text']), /Нарушений инвариантов: 2:\n• client_missing: active subscription 1 has no live client/);

        next = report(INVARIANT_LINES + 5);
        fake.userSends(admin, '/invariants now');
        await message(fake, ADMIN, (text) => text === en.operator.usage.invariants);
        fake.userSends(admin, '/invariants');
        const long = await message(fake, ADMIN, (text) => text.startsWith(`${INVARIANT_LINES + 5} invariant violation(s):`));
        const text = String(long.params['text']);
        assert.equal(text.split('\n').filter((line) => line.startsWith('• ')).length, INVARIANT_LINES);
        assert.match(text, /… and 5 more\.$/);
        assert.ok(text.length < 4096);
      },
      { operator },
    );
    assert.equal(requests.length, 3);
    assert.ok(requests.every((requestId) => /^tg-\d+$/.test(requestId)));
  });

  it('says when the check is not available or did not finish in time', async () => {
    const { services } = fakeServices({ isAdmin: async (id) => id === ADMIN });
    await withBot(
      services,
      async (fake) => {
        fake.userSends(admin, '/invariants');
        await message(fake, ADMIN, (reply) => reply === en.operator.unavailable);
      },
      { operator: operatorWith(undefined).operator },
    );
    await withBot(
      services,
      async (fake) => {
        fake.userSends(admin, '/invariants');
        await message(fake, ADMIN, (reply) => reply === en.operator.timeout);
      },
      { operator: operatorWith(async () => ({ ok: false, reason: 'timeout' })).operator },
    );
  });
});
