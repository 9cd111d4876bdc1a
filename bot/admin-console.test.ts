/**
 * The operator console (/admin) through the fake Telegram: the real grammY bot, in-memory use
 * cases. Each operator journey, in Russian and English where the texts differ; a non-operator is
 * refused politely whatever they press.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FakeTelegram, RecordedCall } from '../fakes/telegram';
import { buttons, fakeServices, waitUntil, withBot } from '../test/support/bot-test-kit';
import { alertButtons } from '../activities/alert-text';
import type { BroadcastProgress } from '../activities/contracts/broadcast-activities';
import { en as enTexts } from './locales';
import { adminEn } from './locales/admin-en';
import { adminRu } from './locales/admin-ru';
import type { BotDeps } from './create-bot';
import type { AdminServers } from './features/admin-common';
import type { BackupService } from '../usecases/backups';
import type { BroadcastService } from '../usecases/broadcasts';
import type { MaintenanceService, MaintenanceState } from '../usecases/maintenance';
import type { OperatorConsole, PromoUsage, UserCard } from '../usecases/operator-console';
import type { OperatorStats } from '../usecases/operator-stats';
import type { OperatorActions } from '../usecases/operator-types';
import type { ServerSummary } from '../usecases/servers-service';

const ADMIN = 9001;
const en = { id: ADMIN, first_name: 'Op', language_code: 'en' };
const ru = { id: ADMIN + 1, first_name: 'Оп', language_code: 'ru' };
const stranger = { id: 9100, first_name: 'Eve', language_code: 'en' };
const strangerRu = { id: 9101, first_name: 'Ева', language_code: 'ru' };

/** The bot's next message or edit in `chatId` whose text matches, after the calls already seen. */
async function screen(fake: FakeTelegram, chatId: number, match: (text: string) => boolean, after = 0): Promise<RecordedCall> {
  return fake.waitFor(
    (call) =>
      call.seq > after &&
      call.ok &&
      call.chatId === chatId &&
      ['sendMessage', 'editMessageText'].includes(call.method) &&
      match(String(call.params['text'])),
  );
}

/** The newest call's sequence number (what `screen` waits after). */
const mark = (fake: FakeTelegram): number => fake.sent().at(-1)?.seq ?? 0;

/** Presses `data` as `user` and waits for the screen that matches. */
async function press(fake: FakeTelegram, user: { id: number }, data: string, match: (text: string) => boolean): Promise<RecordedCall> {
  const after = mark(fake);
  fake.userPresses(user, data);
  return screen(fake, user.id, match, after);
}

/** Sends `text` as `user` and waits for the reply that matches. */
async function say(fake: FakeTelegram, user: { id: number }, text: string, match: (reply: string) => boolean): Promise<RecordedCall> {
  const after = mark(fake);
  fake.userSends(user, text);
  return screen(fake, user.id, match, after);
}

const STATS: OperatorStats = {
  asOf: new Date('2026-11-25T12:00:00Z'),
  timeZone: 'Europe/Moscow',
  days: 14,
  users: { total: 120, newToday: 3, new7d: 17, new30d: 60, blocked: 4 },
  subscriptions: { active: 80, activeUsers: 78, trial: 12, paid: 68, expiring3d: 5 },
  revenue: {
    byDay: Array.from({ length: 14 }, (_, index) => ({
      day: `2026-11-${String(12 + index).padStart(2, '0')}`,
      grossKopecks: BigInt(24_900 * (index % 4)),
      refundsKopecks: index === 13 ? 24_900n : 0n,
      netKopecks: BigInt(24_900 * (index % 4)) - (index === 13 ? 24_900n : 0n),
    })),
    byMethod: [
      { method: 'card', payments: 14, grossKopecks: 348_600n, refundsKopecks: 24_900n, netKopecks: 323_700n },
      { method: 'sbp', payments: 3, grossKopecks: 74_700n, refundsKopecks: 0n, netKopecks: 74_700n },
    ],
    totalNetKopecks: 398_400n,
    starsNet: 300,
    starsPayments: 2,
  },
  conversion: { trialUsers: 40, converted: 9, percent: 22.5 },
  topPlans: [{ planId: 1, name: '1 месяц', sales: 12, amountKopecks: 298_800n }],
};

function card(userId: number): UserCard {
  return {
    userId,
    telegramId: 5550000 + userId,
    username: 'ann',
    firstName: 'Ann',
    languageCode: 'ru',
    createdAt: new Date('2026-10-01T00:00:00Z'),
    balanceKopecks: 10_050n,
    autoRenew: true,
    trialUsed: true,
    subscriptions: [{ id: 55, status: 'active', planId: 1, serverId: 3, endsAt: new Date('2030-01-02T03:04:00Z') }],
    payments: [
      {
        id: 701,
        subscription_id: 55,
        amount: '249.00',
        currency: 'RUB',
        payment_method: 'card',
        status: 'completed',
        created_at: new Date('2026-11-01T10:00:00Z'),
      },
    ],
    ledger: [
      { id: 9, amount: '100.50', balance_after: '100.50', reason: 'operator_adjustment', created_at: new Date('2026-11-02T10:00:00Z') },
    ],
    referrals: { invited: 2, paid: 1, referredByTelegramId: null },
    audit: [
      { id: 1, action: 'subscription.extended', actor: 'operator', actor_id: String(ADMIN), created_at: new Date('2026-11-03T10:00:00Z') },
    ],
  };
}

/** Every console service in memory, recording what operators did. */
function fakeConsole() {
  const calls: Array<[string, unknown]> = [];
  const record = (name: string, input: unknown) => void calls.push([name, input]);
  let maintenanceOn = false;
  const maintenanceState = (): MaintenanceState => ({
    manual: {
      on: maintenanceOn,
      note: null,
      changedBy: maintenanceOn ? `operator:${ADMIN}` : null,
      changedAt: maintenanceOn ? new Date('2026-11-25T12:00:00Z') : null,
    },
    servers: { active: 1, up: 1 },
    selling: maintenanceOn ? { selling: false, reason: 'maintenance' } : { selling: true },
  });
  const maintenance: MaintenanceService = {
    isSelling: async () => maintenanceState().selling,
    maintenanceState: async () => maintenanceState(),
    setMaintenance: async (input) => {
      record('setMaintenance', input);
      maintenanceOn = input.on;
      return maintenanceState();
    },
  };
  const promos: PromoUsage[] = [];
  const console: OperatorConsole = {
    findUsers: async (query) =>
      query === '@ann' || query === '55'
        ? [{ userId: 12, telegramId: 5550012, username: 'ann', matched: query === '55' ? 'subscription_id' : 'username' }]
        : query === 'many'
          ? [
              { userId: 12, telegramId: 5550012, username: 'ann', matched: 'key' },
              { userId: 13, telegramId: 5550013, username: null, matched: 'key' },
            ]
          : [],
    userCard: async (userId) => (userId === 404 ? null : card(userId)),
    adjustBalance: async (input) => {
      record('adjustBalance', input);
      return input.amountKopecks < -10_050n
        ? { ok: false, reason: 'insufficient-balance' }
        : { ok: true, balanceKopecks: 10_050n + input.amountKopecks };
    },
    keyToResend: async (subscriptionId) =>
      subscriptionId === 55
        ? { userId: 12, telegramId: 5550012, languageCode: 'ru', vpnKey: 'vless://uuid-55@nl.example:443#k', subToken: 'T'.repeat(43) }
        : null,
    listPromos: async () => promos,
    createPromo: async (input) => {
      record('createPromo', input);
      if (promos.some((promo) => promo.code === input.code)) return { ok: false, reason: 'exists' };
      const promo: PromoUsage = {
        id: promos.length + 1,
        code: input.code,
        percent_off: input.percentOff ?? null,
        amount_off: input.amountOffKopecks === undefined ? null : (Number(input.amountOffKopecks) / 100).toFixed(2),
        max_redemptions: input.maxRedemptions ?? null,
        redeemed_count: 0,
        expires_at: input.expiresAt ?? null,
        is_active: true,
        created_at: new Date(),
        reserved: 0,
      } as PromoUsage;
      promos.push(promo);
      return { ok: true, promo };
    },
    disablePromo: async (input) => {
      record('disablePromo', input);
      const promo = promos.find((candidate) => candidate.id === input.promoCodeId);
      if (promo === undefined || !promo.is_active) return false;
      promo.is_active = false;
      return true;
    },
    serverTraffic: async () => new Map([[3, 5 * 1024 ** 3]]),
    recordOperatorAction: async (input) => record('audit', input),
  };
  let progress: BroadcastProgress | null = null;
  const broadcasts: BroadcastService = {
    previewBroadcast: async ({ audience, text }) => ({
      audience: audience as 'active',
      recipients: audience === 'active' ? 80 : 0,
      text: text.trim(),
      ...(text.trim() === '' ? { refusal: 'empty_text' as const } : audience === 'active' ? {} : { refusal: 'no_recipients' as const }),
    }),
    startBroadcast: async (input) => {
      record('startBroadcast', input);
      progress = { broadcastId: 7, status: 'running', total: 80, pending: 40, sending: 1, sent: 37, blocked: 2, failed: 0, unknown: 0 };
      return { kind: 'started', broadcastId: 7, recipients: 80 };
    },
    broadcastProgress: async () => progress,
    runningBroadcast: async () => (progress?.status === 'running' ? progress : null),
    userReachable: async (userId) => record('userReachable', userId),
    cancelBroadcast: async (input) => {
      record('cancelBroadcast', input);
      if (progress !== null) progress = { ...progress, status: 'cancelled', pending: 0 };
      return true;
    },
  };
  const backups: BackupService = {
    listBackups: async () => [
      { name: 'backup-20261125T030000Z.dump', bytes: 5 * 1024 * 1024, modifiedAt: new Date('2026-11-25T03:00:05Z') },
    ],
    backupNow: async () => {
      record('backupNow', null);
      return true;
    },
  };
  const server: ServerSummary = {
    id: 3,
    name: 'NL-1',
    location: 'Amsterdam',
    endpoint: 'nl.example:443',
    panelUrl: 'https://nl.example:2053',
    webBasePath: '',
    inboundId: 1,
    apiVersion: 'v2',
    auth: 'password',
    open: true,
    closedReason: null,
    status: 'up',
    users: 40,
    maxUsers: 100,
    load: 0.4,
    lastSeenAt: new Date('2026-11-25T11:59:00Z'),
    downSince: null,
    upSince: new Date('2026-11-01T00:00:00Z'),
    lastError: 'timeout 10:01',
  };
  const servers = (operatorTelegramId: number): AdminServers =>
    ({
      list: async () => [server],
      show: async () => server,
      testServer: async () => ({
        ok: true,
        apiVersion: 'v2',
        latencyMs: 42,
        inbounds: [
          { id: 1, protocol: 'vless', port: 443, remark: 'reality', enable: true, network: 'tcp', security: 'reality', clients: 40 },
        ],
      }),
      add: async (input) => {
        record('addServer', { operatorTelegramId, input });
        return { server: { id: 4, name: input.name } as never, test: null };
      },
      edit: async (serverId, changes) => {
        record('editServer', { serverId, changes });
        return server as never;
      },
      disable: async (serverId) => {
        record('disableServer', { operatorTelegramId, serverId });
        server.open = false;
        server.closedReason = 'operator';
        return { name: server.name } as never;
      },
      enable: async () => {
        server.open = true;
        server.closedReason = null;
        return { name: server.name } as never;
      },
      reopen: async () => ({ reopened: false, reason: 'already-open', server: { name: server.name } as never }),
    }) as AdminServers;
  const operator: OperatorActions = {
    describeSubscription: async (id) => ({
      id,
      userId: 12,
      status: 'active',
      phase: 'active',
      endsAt: null,
      server: { id: 3, name: 'NL-1' },
      plan: null,
    }),
    describeUser: async () => null,
    extend: async (request) => {
      record('extend', request);
      return { ok: true, value: { endsAt: '2030-02-01T03:04:00.000Z' } };
    },
    refund: async (request) => {
      record('refund', request);
      return { ok: true, value: { amountKopecks: '24900' } };
    },
    move: async (request) => {
      record('move', request);
      return { ok: false, reason: 'rejected', message: 'no other server can take the subscription', code: 'no-other-server' };
    },
    cancel: async (request) => {
      record('cancel', request);
      return { ok: true, value: { phase: 'cancelled' } };
    },
  };
  const asked: number[] = [];
  const admin: NonNullable<BotDeps['admin']> = {
    console,
    stats: {
      stats: async (input) => {
        asked.push(input?.days ?? 14);
        return STATS;
      },
    },
    maintenance,
    broadcasts,
    backups,
    servers,
    publicBaseUrl: 'https://vpn.example.test',
  };
  return { admin, operator, calls, promos, server, asked };
}

/** The bot with operators `en` and `ru`, every console service faked. */
async function withConsole(
  body: (fake: FakeTelegram, state: ReturnType<typeof fakeConsole>, purchases: unknown[], topUps: unknown[]) => Promise<void>,
  configure: (state: ReturnType<typeof fakeConsole>) => void = () => undefined,
): Promise<void> {
  const state = fakeConsole();
  configure(state);
  const { services, purchases, topUps } = fakeServices({ isAdmin: async (telegramId) => telegramId === en.id || telegramId === ru.id });
  await withBot(
    services,
    async (fake) => {
      // Buttons are pressed on a message of the bot, as in Telegram: each operator opens the console first.
      await say(fake, en, '/admin', (text) => text === adminEn.menuTitle);
      await say(fake, ru, '/admin', (text) => text === adminRu.menuTitle);
      await body(fake, state, purchases, topUps);
    },
    { operator: state.operator, admin: state.admin },
  );
}

describe('operator console through the fake Telegram', () => {
  it('refuses a non-operator politely, in their language, for the command and every console button', async () => {
    await withConsole(async (fake, { calls }) => {
      await say(fake, stranger, '/admin', (text) => text === adminEn.notAllowed);
      await say(fake, strangerRu, '/admin', (text) => text === adminRu.notAllowed);
      for (const data of [
        'adm:menu',
        'adm:stats',
        'adm:u:12',
        'adm:cny:55',
        'adm:bcy',
        'adm:mt1',
        'adm:sd:3',
        'adm:bkn',
        'adm:pd:1',
        'adm:sub:55',
      ]) {
        const after = mark(fake);
        fake.userPresses(stranger, data);
        const answer = await fake.waitFor((call) => call.seq > after && call.method === 'answerCallbackQuery');
        assert.equal(answer.params['text'], adminEn.notAllowed, data);
      }
      assert.deepEqual(
        calls.filter(([name]) => name !== 'userReachable'),
        [],
        'nothing was read or changed',
      );
      assert.ok(!fake.sent(stranger.id).some((call) => call.method === 'sendPhoto'));
    });
  });

  it('opens the menu in the operator language and shows the stats text with the revenue chart', async () => {
    await withConsole(async (fake, { asked }) => {
      const menuEn = await say(fake, en, '/admin', (text) => text === adminEn.menuTitle);
      assert.deepEqual(
        buttons(menuEn).map((button) => button.text),
        ['stats', 'findUser', 'servers', 'promos', 'broadcast', 'maintenance', 'backups'].map((key) => adminEn.buttons[key as 'stats']),
      );
      const menuRu = await say(fake, ru, '/admin', (text) => text === adminRu.menuTitle);
      assert.deepEqual(
        buttons(menuRu)
          .map((button) => button.text)
          .slice(0, 2),
        [adminRu.buttons.stats, adminRu.buttons.findUser],
      );

      const after = mark(fake);
      fake.userPresses(en, 'adm:stats');
      const stats = await screen(fake, en.id, (text) => text.startsWith('Stats as of 2026-11-25 12:00 UTC'), after);
      const photo = await fake.waitFor((call) => call.seq > after && call.method === 'sendPhoto' && call.chatId === en.id && call.ok);
      assert.equal(photo.params['caption'], adminEn.statsChartCaption(14));
      assert.ok(((photo.params['photo'] as { byteLength: number }).byteLength ?? 0) > 500, 'a real PNG');
      assert.match(String(stats.params['text']), /Revenue, 14 days, refunds netted: 3 984\.00 ₽ \+ 300 ⭐/);
      console.log(`--- stats screen (en) ---\n${String(stats.params['text'])}`);

      assert.deepEqual(
        buttons(stats).map((button) => button.callback_data),
        ['adm:stats:14', 'adm:stats:30', 'adm:menu'],
      );
      await press(fake, en, 'adm:stats:30', (text) => text.startsWith('Stats as of'));
      assert.deepEqual(asked, [14, 30], 'the period the operator chose');
      const statsRu = await press(fake, ru, 'adm:stats', (text) => text.startsWith('Статистика на'));
      assert.match(String(statsRu.params['text']), /Выручка за 14 дн\. за вычетом возвратов: 3 984 ₽ \+ 300 ⭐/);
      assert.match(String(statsRu.params['text']), /карта: 3 237 ₽ \(платежей: 14, возвраты 249 ₽\)/);
      console.log(`--- stats screen (ru) ---\n${String(statsRu.params['text'])}`);
    });
  });

  it('finds a user, shows the card, and extends, moves, cancels, refunds, adjusts the balance and resends the key with validated inputs', async () => {
    await withConsole(async (fake, { calls }) => {
      await press(fake, ru, 'adm:find', (text) => text === adminRu.findPrompt);
      await say(fake, ru, 'nobody', (text) => text === adminRu.findNothing('nobody'));
      const cardCall = await say(fake, ru, '@ann', (text) => text.startsWith('Пользователь 5550012 @ann (id 12)'));
      const text = String(cardCall.params['text']);
      assert.match(text, /Баланс: 100,50 ₽/);
      assert.match(text, /#55 активна, до 2030-01-02 03:04, сервер 3/);
      assert.match(text, /#701 249 ₽ карта оплачен → #55/, 'payments with their ids');
      assert.match(text, /100\.50 \(operator_adjustment\)/);
      assert.match(text, /Рефералы: пригласил 2 \(оплатили 1\)/);
      assert.match(text, /subscription\.extended, operator:9001/);
      assert.deepEqual(
        buttons(cardCall).map((button) => button.callback_data),
        ['adm:ext:55', 'adm:mv:55', 'adm:cn:55', 'adm:key:55', 'adm:rf:12', 'adm:bal:12', 'adm:menu'],
      );

      // Extend: a bad number is explained in Russian, a good one goes to the workflow.
      await press(fake, ru, 'adm:ext:55', (reply) => reply === adminRu.extendPrompt(55));
      await say(fake, ru, '5000', (reply) => reply === adminRu.badDays);
      await say(fake, ru, 'тридцать', (reply) => reply === adminRu.badDays);
      await say(fake, ru, '30', (reply) => reply === adminRu.extended(55, '2030-02-01T03:04:00.000Z'));

      // Move: refused up front in the operator's language (one server), never the English message.
      const pick = await press(fake, ru, 'adm:mv:55', (reply) => reply === adminRu.movePick(55));
      assert.deepEqual(
        buttons(pick).map((button) => button.callback_data),
        ['adm:mvt:55:0', 'adm:menu'],
        'no other server to offer',
      );
      const refused = await press(fake, ru, 'adm:mvt:55:0', (reply) => reply === adminRu.refusal['no-other-server']);
      assert.doesNotMatch(String(refused.params['text']), /no other server/);
      const refusedEn = await press(fake, en, 'adm:mvt:55:0', (reply) => reply === adminEn.refusal['no-other-server']);
      assert.ok(refusedEn.ok);

      // Cancel needs a confirmation.
      await press(fake, en, 'adm:cn:55', (reply) => reply === adminEn.cancelConfirm(55));
      await press(fake, en, 'adm:cny:55', (reply) => reply === adminEn.cancelled(55, 'cancelled'));

      // Refund (no per-method use case wired here: to the balance through the workflow).
      const payments = await press(fake, en, 'adm:rf:12', (reply) => reply === adminEn.refundPick);
      assert.equal(buttons(payments)[0]?.callback_data, 'adm:rfp:701:55');
      await press(fake, en, 'adm:rfp:701:55', (reply) => reply.startsWith('Refund payment #701'));
      await press(fake, en, 'adm:rfy:701:55', (reply) => reply === adminEn.refunded(701, 'balance', '249.00', 'RUB'));

      // Balance: validated, then through the ledger with the reason.
      await press(fake, en, 'adm:bal:12', (reply) => reply === adminEn.balancePrompt(5550012));
      await say(fake, en, '150 no sign', (reply) => reply === adminEn.badBalance);
      await say(fake, en, '+0 nothing', (reply) => reply === adminEn.badBalance);
      await say(fake, en, '-500 too much', (reply) => reply === adminEn.balanceInsufficient);
      await press(fake, en, 'adm:bal:12', (reply) => reply === adminEn.balancePrompt(5550012));
      await say(fake, en, '+49.50 compensation for downtime', (reply) => reply === adminEn.balanceAdjusted(15_000n));

      // Resend key: the user gets it in their language, the operator a confirmation.
      const afterKey = mark(fake);
      await press(fake, en, 'adm:key:55', (reply) => reply === adminEn.keyResent(55));
      const keyMessage = await screen(fake, 5550012, (reply) => reply.startsWith('Ваш VPN-ключ'), afterKey);
      assert.match(String(keyMessage.params['text']), /vless:\/\/uuid-55@nl\.example:443#k[\s\S]*https:\/\/vpn\.example\.test\/sub\/T{43}/);
      await press(fake, en, 'adm:key:56', (reply) => reply === adminEn.noKey(56));

      const actions = calls.map(([name]) => name).filter((name) => name !== 'userReachable');
      assert.deepEqual(actions, ['extend', 'move', 'move', 'cancel', 'refund', 'adjustBalance', 'adjustBalance', 'audit']);
      assert.deepEqual(calls.find(([name]) => name === 'audit')?.[1], {
        action: 'subscription.key_resent',
        operatorTelegramId: en.id,
        subscriptionId: 55,
        userId: 12,
      });
      const extend = calls.find(([name]) => name === 'extend')?.[1] as {
        days: number;
        operatorTelegramId: number;
        subscriptionId: number;
        requestId: string;
      };
      assert.deepEqual([extend.subscriptionId, extend.days, extend.operatorTelegramId], [55, 30, ru.id]);
      assert.match(extend.requestId, /^tg-\d+$/);
      const adjustment = calls.filter(([name]) => name === 'adjustBalance').at(-1)?.[1] as {
        amountKopecks: bigint;
        reason: string;
        operatorTelegramId: number;
      };
      assert.deepEqual(
        [adjustment.amountKopecks, adjustment.reason, adjustment.operatorTelegramId],
        [4_950n, 'compensation for downtime', en.id],
      );
    });
  });

  it('offers several matches as buttons, and opens the card from an alert button', async () => {
    await withConsole(async (fake) => {
      await press(fake, en, 'adm:find', (text) => text === adminEn.findPrompt);
      // A command is not an answer: /menu shows the menu, and the question still waits.
      await say(fake, en, '/menu', (text) => text === enTexts.menu.mainMenu);
      assert.ok(!fake.sent(en.id).some((call) => String(call.params['text']).includes('/menu')), 'not searched for');
      const many = await say(fake, en, 'many', (text) => text === adminEn.findMany(2));
      assert.deepEqual(
        buttons(many).map((button) => button.callback_data),
        ['adm:u:12', 'adm:u:13', 'adm:menu'],
      );
      const [userButton, subscriptionButton, serverButton] = alertButtons({ user_id: 12, subscription_id: 55, server_id: 3 })[0] ?? [];
      assert.ok(userButton !== undefined && subscriptionButton !== undefined && serverButton !== undefined);
      await press(fake, en, userButton.callbackData, (text) => text.startsWith('User 5550012 @ann (id 12)'));
      await press(fake, en, subscriptionButton.callbackData, (text) => text.startsWith('User 5550012 @ann (id 12)'));
      await press(fake, en, serverButton.callbackData, (text) => text.startsWith('Server #3 NL-1'));
      assert.deepEqual(
        alertButtons({ user_id: null, subscription_id: null, server_id: null }),
        [],
        'an alert about nothing in particular has no buttons',
      );
    });
  });

  it('broadcasts: audience, text, preview with the count, confirm once, progress, stop', async () => {
    await withConsole(async (fake, { calls }) => {
      await press(fake, en, 'adm:bc', (text) => text === adminEn.broadcastPickAudience);
      await press(fake, en, 'adm:bca:0', (text) => text === adminEn.broadcastPrompt('all'));
      await say(fake, en, 'Hello', (text) => text === adminEn.broadcastRefused.no_recipients);
      await press(fake, en, 'adm:bca:1', (text) => text === adminEn.broadcastPrompt('active'));
      const preview = await say(
        fake,
        en,
        '  New servers in Germany!  ',
        (text) => text === adminEn.broadcastPreview('active', 80, 'New servers in Germany!'),
      );
      assert.deepEqual(
        buttons(preview).map((button) => button.callback_data),
        ['adm:bcy', 'adm:bcn'],
      );
      const after = mark(fake);
      fake.userPresses(en, 'adm:bcy', Number((preview.params as { message_id?: number }).message_id ?? 0) || undefined);
      await screen(fake, en.id, (text) => text === adminEn.broadcastStarted(7, 80), after);
      const progress = await screen(fake, en.id, (text) => text.startsWith('Broadcast #7: running. Sent 37 of 80'), after);
      console.log(`--- broadcast progress (en) ---\n${String(progress.params['text'])}`);
      assert.deepEqual(
        buttons(progress).map((button) => button.callback_data),
        ['adm:bcp:7', 'adm:bcx:7', 'adm:menu'],
      );
      await press(fake, en, 'adm:bcy', (text) => text === adminEn.broadcastNothingPending);
      const stopped = await press(fake, en, 'adm:bcx:7', (text) => text.startsWith('Broadcast #7: cancelled.'));
      console.log(`--- broadcast report after stop (en) ---\n${String(stopped.params['text'])}`);
      await press(fake, ru, 'adm:bcp:7', (text) => text.startsWith('Рассылка #7: остановлена. Отправлено 37 из 80'));
      const started = calls.filter(([name]) => name === 'startBroadcast');
      assert.equal(started.length, 1, 'one start; the second confirm found nothing pending');
      assert.deepEqual(started[0]?.[1], {
        audience: 'active',
        text: 'New servers in Germany!',
        operatorTelegramId: en.id,
        requestKey: (started[0]?.[1] as { requestKey: string }).requestKey,
      });
      assert.match((started[0]?.[1] as { requestKey: string }).requestKey, /^bc-9001-\d+$/);
      assert.deepEqual(calls.find(([name]) => name === 'cancelBroadcast')?.[1], { broadcastId: 7, operatorTelegramId: en.id });
    });
  });

  it('toggles maintenance, and while it is on a user pressing a payment method gets "paused" instead of a payment page', async () => {
    await withConsole(async (fake, { calls }, purchases, topUps) => {
      const buyer = { id: 7001, first_name: 'Bob', language_code: 'ru' };
      await say(fake, buyer, '/start', () => true);
      await press(fake, en, 'adm:mt', (text) => text.startsWith('Maintenance: off'));
      const on = await press(fake, en, 'adm:mt1', (text) => text.startsWith('Maintenance: ON'));
      assert.match(String(on.params['text']), /Selling now: no \(maintenance\)/);
      assert.deepEqual(calls.at(-1), ['setMaintenance', { on: true, operatorTelegramId: en.id }]);

      // Every button that takes money: a plan, a gift, a balance top-up.
      for (const data of ['pay:1:card', 'gpay:1:card', 'tpay:300:card'])
        await press(fake, buyer, data, (text) => text === adminRu.sellingPaused);
      assert.deepEqual(purchases, [], 'no order, no payment page');
      assert.deepEqual(topUps, [], 'no top-up either');
      // A Stars invoice sent before maintenance began is refused at the pre-checkout: no money taken.
      const declined = await fake.userPays(buyer, 'order:1', { totalAmount: 150 });
      assert.deepEqual(declined, { status: 'declined', errorMessage: adminRu.sellingPaused });

      await press(fake, ru, 'adm:mt0', (text) => text.startsWith('Техработы: выключены'));
      const afterOff = mark(fake);
      fake.userPresses(buyer, 'pay:1:card');
      await fake.waitFor(
        (call) =>
          call.seq > afterOff &&
          call.chatId === buyer.id &&
          call.method === 'sendMessage' &&
          String(call.params['text']) !== adminRu.sellingPaused,
      );
      assert.equal(purchases.length, 1, 'selling again');
    });
  });

  it('marks a user who writes to the bot reachable again for later broadcasts', async () => {
    await withConsole(async (fake, { calls }) => {
      const back = { id: 7002, first_name: 'Cy', language_code: 'en' };
      await say(fake, back, '/start', () => true);
      fake.userSends(back, 'hello again');
      await waitUntil(() => calls.some(([name]) => name === 'userReachable'));
      const reachable = calls.filter(([name]) => name === 'userReachable').map(([, userId]) => userId);
      assert.ok(reachable.every((userId) => typeof userId === 'number' && userId > 0));
    });
  });

  it('lists backups and starts one now', async () => {
    await withConsole(async (fake, { calls }) => {
      await press(fake, en, 'adm:bk', (text) => text.includes('backup-20261125T030000Z.dump 5.0 MB, 2026-11-25 03:00'));
      await press(fake, ru, 'adm:bkn', (text) => text === adminRu.backupStarted);
      assert.deepEqual(
        calls.filter(([name]) => name !== 'userReachable'),
        [
          ['backupNow', null],
          ['audit', { action: 'backup.requested', operatorTelegramId: ru.id }],
        ],
      );
    });
  });

  it('creates promo codes with validated input, lists them with usage and disables one', async () => {
    await withConsole(async (fake, { calls }) => {
      await press(fake, ru, 'adm:promo', (text) => text === adminRu.promos([]));
      await press(fake, ru, 'adm:pnew', (text) => text === adminRu.promoPrompt);
      for (const bad of ['x 10%', 'SPRING 0%', 'SPRING 101%', 'SPRING 10', 'SPRING 10% 2020-01-01', 'SPRING 10% -5']) {
        await say(fake, ru, bad, (text) => text === adminRu.badPromo);
      }
      await say(fake, ru, 'spring25 25% 100 2099-12-31', (text) => text === 'Код SPRING25 создан: скидка 25%.');
      await press(fake, en, 'adm:pnew', (text) => text === adminEn.promoPrompt);
      await say(
        fake,
        en,
        'MINUS100 100₽',
        (text) => text === 'Code MINUS100 created: ₽100 off.' || text.startsWith('Code MINUS100 created'),
      );
      await press(fake, en, 'adm:pnew', (text) => text === adminEn.promoPrompt);
      await say(fake, en, 'SPRING25 5%', (text) => text === adminEn.promoExists('SPRING25'));
      const list = await press(fake, en, 'adm:promo', (text) => text.startsWith('Promo codes:'));
      assert.match(String(list.params['text']), /SPRING25: 25% off, used 0\/100, until 2099-12-31/);
      assert.match(String(list.params['text']), /MINUS100: 100 ₽ off, used 0, no expiry/);
      assert.deepEqual(
        buttons(list).map((button) => button.callback_data),
        ['adm:pnew', 'adm:pd:1', 'adm:pd:2', 'adm:menu'],
      );
      await press(fake, en, 'adm:pd:1', (text) => text === adminEn.promoDisabled('SPRING25'));
      const created = calls
        .filter(([name]) => name === 'createPromo')
        .map(([, input]) => input as { code: string; percentOff?: number; amountOffKopecks?: bigint; maxRedemptions: number | null });
      assert.deepEqual(
        created.map((input) => [input.code, input.percentOff, input.amountOffKopecks, input.maxRedemptions]),
        [
          ['SPRING25', 25, undefined, 100],
          ['MINUS100', undefined, 10_000n, null],
          ['SPRING25', 5, undefined, null],
        ],
      );
    });
  });

  it('manages servers: list with load, health, last error and traffic; test; close; add (the password message is deleted); edit', async () => {
    await withConsole(async (fake, { calls }) => {
      const list = await press(fake, en, 'adm:srv', (text) => text.startsWith('Servers:'));
      assert.match(String(list.params['text']), /#3 NL-1 \(Amsterdam\): open, up, 40\/100 \(40%\), last error: timeout 10:01/);
      assert.match(String(list.params['text']), /#3: 5\.0 GB/);
      await press(fake, ru, 'adm:s:3', (text) => text.startsWith('Сервер #3 NL-1') && text.includes('трафик за период 5.0 ГБ'));
      await press(fake, en, 'adm:st:3', (text) => text.startsWith('Panel answers (v2, 42 ms)'));
      await press(fake, en, 'adm:sd:3', (text) => text.startsWith(adminEn.serverChanged('NL-1', false)));
      await press(fake, en, 'adm:sr:3', (text) => text.startsWith('Not re-opened: already-open.'));

      await press(fake, en, 'adm:sadd', (text) => text === adminEn.serverAddPrompt);
      await say(fake, en, 'DE-1 https://de.example:2053', (text) => text === adminEn.badServerInput('expected 6 to 8 fields'));
      const afterAdd = mark(fake);
      const secret = fake.userSends(en, 'DE-1 https://de.example:2053 - admin s3cret-pass 2 de.example:443 500');
      await screen(fake, en.id, (text) => text.startsWith(adminEn.serverAdded(4, 'DE-1')), afterAdd);
      assert.ok(
        fake.sent(en.id).some((call) => call.method === 'deleteMessage' && call.ok && call.params['message_id'] === secret.message_id),
        'the password left the chat',
      );
      await press(fake, en, 'adm:sedit:3', (text) => text === adminEn.serverEditPrompt(3));
      await say(fake, en, 'max_users=abc', (text) => text.startsWith('Could not read that: unknown or invalid'));
      await say(fake, en, 'max_users=800 location=Rotterdam', (text) => text.startsWith('Server #3 NL-1'));

      const add = calls.find(([name]) => name === 'addServer')?.[1] as { operatorTelegramId: number; input: unknown };
      assert.deepEqual(add, {
        operatorTelegramId: en.id,
        input: {
          name: 'DE-1',
          access: { panelUrl: 'https://de.example:2053', webBasePath: '', username: 'admin', password: 's3cret-pass' },
          inboundId: 2,
          endpoint: 'de.example:443',
          maxUsers: 500,
        },
      });
      assert.deepEqual(calls.find(([name]) => name === 'editServer')?.[1], {
        serverId: 3,
        changes: { maxUsers: 800, location: 'Rotterdam' },
      });
      assert.deepEqual(calls.find(([name]) => name === 'disableServer')?.[1], { operatorTelegramId: en.id, serverId: 3 });
    });
  });

  it('refunds by the payment method when the refunds use case is wired, and words its refusals', async () => {
    const refunded: Array<{ paymentId: number; operatorTelegramId: number }> = [];
    await withConsole(
      async (fake, { calls }) => {
        await press(fake, ru, 'adm:rf:12', (text) => text === adminRu.refundPick);
        await press(fake, ru, 'adm:rfp:701:55', (text) => text.startsWith('Вернуть платёж #701'));
        await press(fake, ru, 'adm:rfy:701:55', (text) => text === 'Платёж #701 возвращён: 249.00 RUB — на карту/СБП.');
        await press(fake, en, 'adm:rfy:702:55', (text) => text === 'Refund refused: the payment provider did not answer; try again later.');
        await press(fake, en, 'adm:rfy:703:55', (text) => text === adminEn.refundPending(703, '249.00', 'RUB'));
        await press(fake, ru, 'adm:rfy:703:55', (text) =>
          text.startsWith('Возврат платежа #703 (249.00 RUB) обрабатывается платёжным сервисом.'),
        );
        assert.deepEqual(
          refunded.map((input) => [input.paymentId, input.operatorTelegramId]),
          [
            [701, ru.id],
            [702, en.id],
            [703, en.id],
            [703, ru.id],
          ],
        );
        assert.deepEqual(
          calls.filter(([name]) => name === 'refund'),
          [],
          'not the balance fallback',
        );
      },
      (state) => {
        state.admin.refunds = {
          refundPayment: async (input) => {
            refunded.push(input);
            if (input.paymentId === 701) return { kind: 'refunded', to: 'card', amount: '249.00', currency: 'RUB' };
            if (input.paymentId === 703) return { kind: 'pending', refundId: 'rf-1', amount: '249.00', currency: 'RUB' };
            return { kind: 'refused', reason: 'provider-unavailable' };
          },
        };
      },
    );
  });
});
