import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { z } from 'zod';
import { newServer } from '../test/support/db-fixtures';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database';
import { createMaintenanceService, type MaintenanceService } from './maintenance';

describe('maintenance mode', () => {
  let database: TestDatabase;
  let service: MaintenanceService;
  before(async () => {
    database = await createTestDatabase();
    service = createMaintenanceService({ db: database.pool });
  });
  after(async () => {
    await database?.drop();
  });

  const setStatus = (serverId: number, status: 'up' | 'down') =>
    database.pool.query(sql.unsafe`
      UPDATE vpn_servers SET status = ${status}, down_since = CASE WHEN ${status} = 'down' THEN now() ELSE NULL END WHERE id = ${serverId}
    `);

  it('does not sell without an active server, nor while every active panel is down', async () => {
    assert.deepEqual(await service.isSelling(), { selling: false, reason: 'no_servers' });
    const first = await newServer(database.pool);
    const second = await newServer(database.pool);
    assert.deepEqual(await service.isSelling(), { selling: true });
    await setStatus(first.id, 'down');
    assert.deepEqual(await service.isSelling(), { selling: true }, 'one panel up is enough');
    await setStatus(second.id, 'down');
    assert.deepEqual(await service.isSelling(), { selling: false, reason: 'all_panels_down' });
    const state = await service.maintenanceState();
    assert.deepEqual(state.servers, { active: 2, up: 0 });
    await setStatus(second.id, 'up');
    assert.deepEqual(await service.isSelling(), { selling: true });
    // A disabled server does not count, up or down.
    await database.pool.query(sql.unsafe`UPDATE vpn_servers SET is_active = false WHERE id = ${second.id}`);
    assert.deepEqual(await service.isSelling(), { selling: false, reason: 'all_panels_down' });
    await database.pool.query(sql.unsafe`UPDATE vpn_servers SET is_active = true WHERE id = ${second.id}`);
  });

  it('an operator turns maintenance on with a note and off again, audited', async () => {
    const on = await service.setMaintenance({ on: true, operatorTelegramId: 4242, note: '  Переезд на новый сервер до 18:00  ' });
    assert.deepEqual(on.selling, { selling: false, reason: 'maintenance', note: 'Переезд на новый сервер до 18:00' });
    assert.equal(on.manual.on, true);
    assert.equal(on.manual.changedBy, 'operator:4242');
    assert.ok(on.manual.changedAt instanceof Date);
    assert.deepEqual(await service.isSelling(), { selling: false, reason: 'maintenance', note: 'Переезд на новый сервер до 18:00' });

    const off = await service.setMaintenance({ on: false, operatorTelegramId: 4243 });
    assert.deepEqual(off.selling, { selling: true });
    assert.deepEqual(off.manual, { on: false, note: null, changedBy: 'operator:4243', changedAt: off.manual.changedAt });

    const audit = await database.pool.any(sql.type(z.object({ actor_id: z.string(), details: z.unknown() }))`
      SELECT actor_id, details FROM audit_logs WHERE action = 'setting.changed' ORDER BY id
    `);
    assert.deepEqual(audit, [
      { actor_id: '4242', details: { key: 'maintenance', from: null, to: { on: true, note: 'Переезд на новый сервер до 18:00' } } },
      {
        actor_id: '4243',
        details: { key: 'maintenance', from: { on: true, note: 'Переезд на новый сервер до 18:00' }, to: { on: false, note: null } },
      },
    ]);
  });
});
