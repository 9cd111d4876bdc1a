import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BroadcastRow } from '../sql/repositories/broadcast-repository';
import { broadcastReportText, reportLocale } from './broadcast-activities';

const created = new Date('2026-11-25T12:00:00Z');
const row = (overrides: Partial<BroadcastRow> = {}): BroadcastRow => ({
  id: 42,
  audience: 'all',
  text: 'hello',
  status: 'completed',
  created_by_telegram_id: 9001,
  request_key: 'bc-1',
  created_at: created,
  finished_at: new Date(created.getTime() + 75_000),
  reported_at: null,
  ...overrides,
});
const progress = {
  broadcastId: 42,
  status: 'completed' as const,
  total: 150,
  pending: 0,
  sending: 0,
  sent: 143,
  blocked: 3,
  failed: 0,
  unknown: 4,
};

describe('broadcast report', () => {
  it('reads in the language of the operator who started it', () => {
    assert.equal(
      broadcastReportText(row(), progress, 'ru'),
      [
        'Рассылка #42 (all) завершена за 1 мин 15 с.',
        'Получателей: 150',
        'Отправлено: 143',
        'Заблокировали бота: 3',
        'Неизвестно, не отправлялось повторно (прервано во время отправки): 4',
      ].join('\n'),
    );
    assert.equal(
      broadcastReportText(row(), progress, 'en'),
      [
        'Broadcast #42 (all) finished in 1 min 15 s.',
        'Recipients: 150',
        'Sent: 143',
        'Blocked the bot: 3',
        'Uncertain, not resent (interrupted mid-send): 4',
      ].join('\n'),
    );
  });

  it('follows the operator: Russian for ru (and uk, be, kk), English otherwise or when unknown', () => {
    assert.deepEqual(
      ['ru', 'uk', 'en', 'de', null, undefined].map((code) => reportLocale(code)),
      ['ru', 'ru', 'en', 'en', 'en', 'en'],
    );
  });

  it('says a stopped broadcast was stopped and counts what it did not send', () => {
    const stopped = { ...progress, status: 'cancelled' as const, sent: 40, unknown: 0, pending: 107, failed: 0 };
    assert.equal(
      broadcastReportText(row({ status: 'cancelled', finished_at: new Date(created.getTime() + 9_000) }), stopped, 'ru'),
      [
        'Рассылка #42 (all) остановлена за 9 с.',
        'Получателей: 150',
        'Отправлено: 40',
        'Заблокировали бота: 3',
        'Не отправлено (остановлена): 107',
      ].join('\n'),
    );
  });
});
