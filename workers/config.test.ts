import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../lib/errors';
import { alertChatIds, loadWorkerConfig } from './config';

const REQUIRED = {
  DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/db',
  PANEL_CREDENTIALS_KEY: 'ab'.repeat(32),
  CLIENT_ID_SALT: 'worker-config-test-salt',
  TELEGRAM_BOT_TOKEN: '123456:worker-config-test-token',
  PUBLIC_BASE_URL: 'https://vpn.example.org',
};

describe('worker config: operator alerts and the orphan sweep', () => {
  it('sends alerts to every admin by default, to ALERT_CHAT_ID (a group id too) when set', () => {
    assert.deepEqual(alertChatIds(loadWorkerConfig({ ...REQUIRED, ADMIN_TELEGRAM_IDS: '111, 222' })), [111, 222]);
    assert.deepEqual(
      alertChatIds(loadWorkerConfig({ ...REQUIRED, ADMIN_TELEGRAM_IDS: '111', ALERT_CHAT_ID: '-1001234567890' })),
      [-1001234567890],
    );
    assert.deepEqual(alertChatIds(loadWorkerConfig(REQUIRED)), []);
  });

  it('defaults: 5 alerts per kind per minute; a sweep every 180 s of orphans older than 90 s, 25 per sweep', () => {
    const config = loadWorkerConfig(REQUIRED);
    assert.equal(config.ALERT_MAX_PER_KIND_PER_MINUTE, 5);
    assert.equal(config.ORPHAN_SWEEP_INTERVAL_SECONDS, 180);
    assert.equal(config.ORPHAN_SWEEP_AFTER_SECONDS, 90);
    assert.equal(config.ORPHAN_SWEEP_LIMIT, 25);
  });

  it('refuses a chat id of 0, a non-number, or a bad admin list', () => {
    for (const bad of [
      { ALERT_CHAT_ID: '0' },
      { ALERT_CHAT_ID: 'ops' },
      { ADMIN_TELEGRAM_IDS: '12,abc' },
      { ORPHAN_SWEEP_INTERVAL_SECONDS: '5' },
    ]) {
      assert.throws(() => loadWorkerConfig({ ...REQUIRED, ...bad }), ConfigError);
    }
  });

  it('bounds the workflow cache and sizes slots and pool for a small machine; overrides parse, nonsense is refused', () => {
    const config = loadWorkerConfig(REQUIRED);
    assert.equal(config.WORKER_MAX_CACHED_WORKFLOWS, 250);
    assert.equal(config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS, 10);
    assert.equal(config.WORKER_MAX_CONCURRENT_ACTIVITIES, 40);
    assert.equal(config.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES, 20);
    assert.equal(config.DATABASE_POOL_SIZE, 20);
    const tuned = loadWorkerConfig({ ...REQUIRED, WORKER_MAX_CACHED_WORKFLOWS: '2000', DATABASE_POOL_SIZE: '40' });
    assert.equal(tuned.WORKER_MAX_CACHED_WORKFLOWS, 2000);
    assert.equal(tuned.DATABASE_POOL_SIZE, 40);
    for (const bad of [
      { WORKER_MAX_CACHED_WORKFLOWS: '1' },
      { WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '1' },
      { DATABASE_POOL_SIZE: '0' },
      { WORKER_MAX_CONCURRENT_ACTIVITIES: 'many' },
    ]) {
      assert.throws(() => loadWorkerConfig({ ...REQUIRED, ...bad }), ConfigError);
    }
  });
});
