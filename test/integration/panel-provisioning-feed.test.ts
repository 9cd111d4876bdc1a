/**
 * Provisioning on a (fake) 3X-UI panel through the activities, then the api's /sub feed: the
 * subscription URL serves the provisioned key, and after a move to another server it serves the
 * new server's key under the same URL.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import { createPanelActivities } from '../../activities/panel-activities';
import { createApp } from '../../api/create-app';
import type { FakePanel } from '../../fakes/xui-panel/fake-panel';
import { createSecretBox } from '../../lib/crypto/secret-box';
import { createLogger } from '../../lib/logger';
import { createPanelResolver } from '../../usecases/panel-for-server';
import { parseVlessLink } from '../../lib/xui/parse-vless-link';
import { releaseServerSlot } from '../../sql/repositories/server-slots-repository';
import { getSubscription } from '../../sql/repositories/subscriptions-repository';
import { setServerActive } from '../../sql/repositories/servers-repository';
import { newActiveSubscription, testActor } from '../support/db-fixtures';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { startPanelServer, type PanelServer } from '../support/panel-server';

const box = createSecretBox(randomBytes(32));
const panels: FakePanel[] = [];
let db: TestDatabase;
let pool: DatabasePool;
let app: FastifyInstance;

before(async () => {
  db = await createTestDatabase({ seed: true });
  pool = db.pool;
  await pool.query(sql.unsafe`UPDATE vpn_servers SET is_active = false`);
  app = createApp({ logger: createLogger({ level: 'silent' }), readinessChecks: {}, db: pool });
});
after(async () => {
  await app.close();
  await Promise.all(panels.map((panel) => panel.close()));
  await db.drop();
});

async function panelServer(name: string, endpoint: string): Promise<PanelServer> {
  const made = await startPanelServer(pool, box, { name, endpoint, password: 'pw-0123456789' });
  panels.push(made.panel);
  return made;
}

describe('provisioning -> /sub feed', () => {
  it('serves the provisioned key, and the new key under the same URL after a move', async () => {
    const activities = createPanelActivities({
      db: pool,
      logger: createLogger({ level: 'silent' }),
      panels: createPanelResolver({ db: pool, secretBox: box, timeoutMs: 1_000 }),
      clientIdSalt: 'integration-salt-0123456789',
      publicBaseUrl: 'https://vpn.example.com',
    });
    const nl = await panelServer('NL-1', 'nl.vpn.example.com:443');
    const planId = await pool.oneFirst(sql.type(z.object({ id: z.number() }))`SELECT id FROM subscription_plans WHERE name = '1 месяц'`);
    const subscription = await newActiveSubscription(pool, { planId });

    await activities.provisionClient({ subscriptionId: subscription.id });
    const firstRow = await getSubscription(pool, subscription.id);
    const firstKey = firstRow?.vpn_key ?? '';
    const path = `/sub/${firstRow?.sub_token ?? ''}`;
    const feed = await app.inject({ method: 'GET', url: path });
    assert.equal(feed.statusCode, 200);
    assert.equal(Buffer.from(feed.body, 'base64').toString('utf8'), `${firstKey}\n`);
    assert.equal(parseVlessLink(firstKey).host, 'nl.vpn.example.com');

    const de = await panelServer('DE-1', 'de.vpn.example.com:443');
    await releaseServerSlot(pool, { subscriptionId: subscription.id, actor: testActor });
    await setServerActive(pool, { serverId: nl.server.id, active: false, actor: testActor });
    const moved = await activities.provisionClient({ subscriptionId: subscription.id });
    assert.equal(moved.serverId, de.server.id);
    const movedRow = await getSubscription(pool, subscription.id);
    const movedKey = movedRow?.vpn_key ?? '';
    assert.equal(movedRow?.sub_token, firstRow?.sub_token, 'the subscription URL never changes');
    assert.equal(parseVlessLink(movedKey).uuid, parseVlessLink(firstKey).uuid);
    const after = await app.inject({ method: 'GET', url: path });
    assert.equal(Buffer.from(after.body, 'base64').toString('utf8'), `${movedKey}\n`);
    assert.equal(parseVlessLink(movedKey).host, 'de.vpn.example.com');

    assert.equal((await activities.deleteClient({ subscriptionId: subscription.id, serverId: nl.server.id })).deleted, true);
    assert.equal(nl.panel.state.clients().length, 0);
    assert.equal(de.panel.state.clients().length, 1);
  });
});
