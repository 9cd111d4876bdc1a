import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fakeServices, message, waitUntil, withBot } from '../test/support/bot-test-kit';
import { en, ru } from './locales';
import type { OperatorActions, OperatorRequest } from '../usecases/operator-types';
import { argumentWords, operatorArgs } from './features/operator';

const ADMIN = 9001;

/** Operator actions that record their calls; subscription 404 and user 404404 do not exist. */
function fakeOperator(overrides: Partial<OperatorActions> = {}) {
  const calls: Array<{ action: string; request: OperatorRequest & { days?: number; paymentId?: number; toServerId?: number } }> = [];
  const operator: OperatorActions = {
    describeSubscription: async (id) =>
      id === 404
        ? null
        : {
            id,
            userId: 12,
            status: 'active',
            phase: 'active',
            endsAt: new Date('2030-01-02T03:04:00Z'),
            server: { id: 3, name: 'NL-1' },
            plan: { id: 1, name: '1 месяц' },
          },
    describeUser: async (telegramId) =>
      telegramId === 404404
        ? null
        : {
            userId: 12,
            telegramId,
            username: 'ann',
            balanceKopecks: 10_050,
            autoRenew: true,
            trialUsed: false,
            subscriptions: [{ id: 55, status: 'active', planName: '1 месяц', endsAt: new Date('2030-01-02T03:04:00Z') }],
          },
    extend: async (request) => {
      calls.push({ action: 'extend', request });
      return request.days > 3650
        ? { ok: false, reason: 'rejected', message: 'days must be a whole number from 1 to 3650' }
        : { ok: true, value: { endsAt: '2030-02-01T03:04:00.000Z' } };
    },
    refund: async (request) => {
      calls.push({ action: 'refund', request });
      return { ok: true, value: { amountKopecks: '24900' } };
    },
    move: async (request) => {
      calls.push({ action: 'move', request });
      return { ok: true, value: { serverId: request.toServerId ?? 4 } };
    },
    cancel: async (request) => {
      calls.push({ action: 'cancel', request });
      return request.subscriptionId === 404 ? { ok: false, reason: 'no-workflow' } : { ok: true, value: { phase: 'cancelled' } };
    },
    ...overrides,
  };
  return { operator, calls };
}

const admin = { id: ADMIN, first_name: 'Op', language_code: 'en' };

describe('operator commands against the fake Telegram', () => {
  it('tells a non-admin politely that they are not allowed, whatever the arguments', async () => {
    const { services } = fakeServices();
    const { operator, calls } = fakeOperator();
    await withBot(
      services,
      async (fake) => {
        for (const text of ['/sub 1', '/extend 1 30', '/refund 1 2', '/move 1', '/cancel 1', '/user 1', '/extend garbage']) {
          fake.userSends({ id: 9100, language_code: 'en' }, text);
          await message(fake, 9100, (reply) => reply === en.operator.notAllowed);
        }
        fake.userSends({ id: 9101, language_code: 'ru' }, '/cancel 1');
        await message(fake, 9101, (reply) => reply === ru.operator.notAllowed);
        // Chats are handled in parallel: 9101's answer says nothing about 9100's.
        await waitUntil(() => fake.sent(9100).filter((call) => call.method === 'sendMessage').length >= 7);
        assert.equal(fake.sent(9100).filter((call) => call.method === 'sendMessage').length, 7);
      },
      { operator },
    );
    assert.deepEqual(calls, []);
  });

  it('answers malformed arguments with the usage of the command', async () => {
    const { services } = fakeServices({ isAdmin: async (id) => id === ADMIN });
    const { operator, calls } = fakeOperator();
    await withBot(
      services,
      async (fake) => {
        const cases: Array<[string, string]> = [
          ['/sub', en.operator.usage.sub],
          ['/sub 0', en.operator.usage.sub],
          ['/sub abc', en.operator.usage.sub],
          ['/extend', en.operator.usage.extend],
          ['/extend 5', en.operator.usage.extend],
          ['/extend 5 -1', en.operator.usage.extend],
          ['/extend 5 1.5', en.operator.usage.extend],
          ['/extend 5 10 extra', en.operator.usage.extend],
          ['/refund 5', en.operator.usage.refund],
          ['/move', en.operator.usage.move],
          ['/move 5 6 7', en.operator.usage.move],
          ['/cancel 99999999999', en.operator.usage.cancel],
          ['/user @ann', en.operator.usage.user],
        ];
        for (const [text, usage] of cases) {
          fake.userSends(admin, text);
          await message(fake, ADMIN, (reply) => reply === usage);
        }
      },
      { operator },
    );
    assert.deepEqual(calls, []);
  });

  it('runs each command through the operator actions with tg-<update_id> as the request id', async () => {
    const { services } = fakeServices({ isAdmin: async (id) => id === ADMIN });
    const { operator, calls } = fakeOperator();
    await withBot(
      services,
      async (fake) => {
        fake.userSends(admin, '/sub 7');
        const summary = await message(fake, ADMIN, (reply) => reply.startsWith('Subscription 7 (user 12)'));
        assert.match(
          String(summary.params['text']),
          /Status: active; workflow: active\nEnds: 2030-01-02 03:04 UTC\nServer: NL-1 \(#3\)\nPlan: 1 месяц \(#1\)/,
        );
        fake.userSends(admin, '/sub 404');
        await message(fake, ADMIN, (reply) => reply === en.operator.noSubscription(404));

        fake.userSends(admin, '/user  555 ');
        const user = await message(fake, ADMIN, (reply) => reply.startsWith('User 12 (Telegram 555, @ann)'));
        assert.match(
          String(user.params['text']),
          /Balance: 100\.50 ₽; auto-renewal: on; trial: not used\n• #55 active, 1 месяц, ends 2030-01-02 03:04 UTC/,
        );
        fake.userSends(admin, '/user 404404');
        await message(fake, ADMIN, (reply) => reply === en.operator.noUser(404404));

        fake.userSends(admin, '/extend 7 30');
        await message(fake, ADMIN, (reply) => reply === en.operator.extended(7, '2030-02-01T03:04:00.000Z'));
        fake.userSends(admin, '/extend 7 5000');
        await message(fake, ADMIN, (reply) => reply === 'Refused: days must be a whole number from 1 to 3650');
        fake.userSends(admin, '/refund 7 88');
        await message(fake, ADMIN, (reply) => reply === 'Refunded 249 ₽ to the balance; subscription 7 is ended.');
        fake.userSends(admin, '/move 7');
        await message(fake, ADMIN, (reply) => reply === en.operator.moved(7, 4));
        fake.userSends(admin, '/move 7 9');
        await message(fake, ADMIN, (reply) => reply === en.operator.moved(7, 9));
        fake.userSends(admin, '/cancel 7');
        await message(fake, ADMIN, (reply) => reply === en.operator.cancelled(7, 'cancelled'));
        fake.userSends(admin, '/cancel 404');
        await message(fake, ADMIN, (reply) => reply === en.operator.noWorkflow);
      },
      { operator },
    );
    assert.deepEqual(
      calls.map(({ action, request: { requestId: _requestId, ...rest } }) => [action, rest]),
      [
        ['extend', { operatorTelegramId: ADMIN, subscriptionId: 7, days: 30 }],
        ['extend', { operatorTelegramId: ADMIN, subscriptionId: 7, days: 5000 }],
        ['refund', { operatorTelegramId: ADMIN, subscriptionId: 7, paymentId: 88 }],
        ['move', { operatorTelegramId: ADMIN, subscriptionId: 7 }],
        ['move', { operatorTelegramId: ADMIN, subscriptionId: 7, toServerId: 9 }],
        ['cancel', { operatorTelegramId: ADMIN, subscriptionId: 7 }],
        ['cancel', { operatorTelegramId: ADMIN, subscriptionId: 404 }],
      ],
    );
    const requestIds = calls.map((call) => call.request.requestId);
    assert.ok(requestIds.every((requestId) => /^tg-\d+$/.test(requestId)));
    assert.equal(new Set(requestIds).size, requestIds.length, 'one request id per Telegram update');
  });

  it('says when the operator actions are not configured or the workflow did not answer in time', async () => {
    const { services } = fakeServices({ isAdmin: async (id) => id === ADMIN });
    await withBot(services, async (fake) => {
      fake.userSends(admin, '/sub 1');
      await message(fake, ADMIN, (reply) => reply === en.operator.unavailable);
    });
    const { operator } = fakeOperator({ extend: async () => ({ ok: false, reason: 'timeout' }) });
    await withBot(
      services,
      async (fake) => {
        fake.userSends({ ...admin, language_code: 'ru' }, '/extend 1 3');
        await message(fake, ADMIN, (reply) => reply === ru.operator.timeout);
      },
      { operator },
    );
  });
});

describe('operator argument schemas', () => {
  it('accept exactly the documented shapes and never throw', () => {
    assert.deepEqual(operatorArgs.move.parse(argumentWords(' 5\t 6 ')), { subscriptionId: 5, toServerId: 6 });
    assert.deepEqual(operatorArgs.move.parse(['5']), { subscriptionId: 5 });
    assert.deepEqual(operatorArgs.user.parse(['9007199254740991']), { telegramId: 9_007_199_254_740_991 });
    assert.equal(operatorArgs.user.safeParse(['9007199254740993']).success, false);
    assert.equal(operatorArgs.sub.safeParse(['2147483648']).success, false);
    fc.assert(
      fc.property(fc.string(), (text) => {
        for (const schema of Object.values(operatorArgs)) void schema.safeParse(argumentWords(text));
      }),
    );
  });
});
