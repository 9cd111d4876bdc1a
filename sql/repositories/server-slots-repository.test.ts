import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sql, type DatabasePool } from 'slonik';
import { createSecretBox } from '../../lib/crypto/secret-box';
import { AppError, ErrorCode } from '../../lib/errors';
import { createTestDatabase, type TestDatabase } from '../../test/support/test-database';
import { countAuditLogs } from './audit-repository';
import { getServerPanelCredentials, setServerPanelCredentials } from './server-credentials-repository';
import { completeMove, reserveMoveTarget } from './server-moves-repository';
import { claimServerSlot, listSlotCountMismatches, listSlotHolders, releaseServerSlot } from './server-slots-repository';
import { getServer, listServers, recordServerHealth, setServerActive, setServerApiVersion } from './servers-repository';
import { getSubscription } from './subscriptions-repository';
import { newServer, newSubscription, testActor } from '../../test/support/db-fixtures';

let db: TestDatabase;
let pool: DatabasePool;
const isCode = (code: ErrorCode) => (error: unknown) => error instanceof AppError && error.code === code;

before(async () => {
  db = await createTestDatabase();
  pool = db.pool;
});
beforeEach(async () => {
  // Each test builds its own servers; park the others so they are never picked.
  await pool.query(sql.unsafe`UPDATE vpn_servers SET is_active = false`);
});
after(async () => db.drop());

describe('server slots', () => {
  it('claims on the least-loaded server (by ratio), sets server_id, and is idempotent per subscription', async () => {
    const busy = await newServer(pool, 10);
    const roomy = await newServer(pool, 100);
    await pool.query(sql.unsafe`UPDATE vpn_servers SET current_users = 5 WHERE id = ${busy.id}`);
    await pool.query(sql.unsafe`UPDATE vpn_servers SET current_users = 10 WHERE id = ${roomy.id}`);
    const subscription = await newSubscription(pool);
    const first = await claimServerSlot(pool, { subscriptionId: subscription.id, actor: testActor });
    assert.equal(first.claimed, true);
    assert.equal(first.server.id, roomy.id);
    assert.equal(first.server.current_users, 11);
    const again = await claimServerSlot(pool, { subscriptionId: subscription.id, actor: testActor });
    assert.equal(again.claimed, false);
    assert.equal(again.server.id, roomy.id);
    assert.equal((await getServer(pool, roomy.id))?.current_users, 11);
    const row = await getSubscription(pool, subscription.id);
    assert.equal(row?.server_id, roomy.id);
    assert.equal(row?.server_slot_held, true);
    assert.deepEqual(await listSlotHolders(pool, { serverId: roomy.id }), [subscription.id]);
    assert.equal(await countAuditLogs(pool, { action: 'server.slot_claimed', entityId: subscription.id }), 1);
  });

  it('skips inactive, down and full servers, and says SERVER_FULL when nothing is left', async () => {
    const inactive = await newServer(pool, 10);
    await setServerActive(pool, { serverId: inactive.id, active: false, actor: testActor });
    const down = await newServer(pool, 10);
    await recordServerHealth(pool, { serverId: down.id, up: false, error: 'timeout', actor: testActor });
    const full = await newServer(pool, 1);
    const subscription = await newSubscription(pool);
    assert.equal((await claimServerSlot(pool, { subscriptionId: subscription.id, actor: testActor })).server.id, full.id);
    await assert.rejects(
      claimServerSlot(pool, { subscriptionId: (await newSubscription(pool)).id, actor: testActor }),
      (error: unknown) => {
        assert.ok(isCode(ErrorCode.SERVER_FULL)(error));
        assert.equal((error as AppError).retryable, true);
        return true;
      },
    );
  });

  it('prefers the given server when it has room, else falls back to the least loaded', async () => {
    const preferred = await newServer(pool, 10);
    const emptier = await newServer(pool, 10);
    await pool.query(sql.unsafe`UPDATE vpn_servers SET current_users = 5 WHERE id = ${preferred.id}`);
    const subscription = await newSubscription(pool);
    const claim = await claimServerSlot(pool, { subscriptionId: subscription.id, preferServerId: preferred.id, actor: testActor });
    assert.equal(claim.server.id, preferred.id);
    await pool.query(sql.unsafe`UPDATE vpn_servers SET current_users = max_users WHERE id = ${preferred.id}`);
    const other = await newSubscription(pool);
    assert.equal(
      (await claimServerSlot(pool, { subscriptionId: other.id, preferServerId: preferred.id, actor: testActor })).server.id,
      emptier.id,
    );
  });

  it('releases a slot once and keeps server_id for a later re-claim on the same server', async () => {
    const server = await newServer(pool, 2);
    const subscription = await newSubscription(pool);
    await claimServerSlot(pool, { subscriptionId: subscription.id, actor: testActor });
    assert.deepEqual(await releaseServerSlot(pool, { subscriptionId: subscription.id, actor: testActor }), { released: true });
    assert.deepEqual(await releaseServerSlot(pool, { subscriptionId: subscription.id, actor: testActor }), { released: false });
    assert.equal((await getServer(pool, server.id))?.current_users, 0);
    const row = await getSubscription(pool, subscription.id);
    assert.equal(row?.server_id, server.id);
    assert.equal(row?.server_slot_held, false);
    await assert.rejects(releaseServerSlot(pool, { subscriptionId: 99_999_999, actor: testActor }), isCode(ErrorCode.NOT_FOUND));
  });

  it('a move holds a slot on both servers until it switches; ending the subscription mid-move gives both back', async () => {
    const from = await newServer(pool, 2);
    const subscription = await newSubscription(pool);
    await claimServerSlot(pool, { subscriptionId: subscription.id, actor: testActor });
    const to = await newServer(pool, 2);
    const full = await newServer(pool, 1);
    await pool.query(sql.unsafe`UPDATE vpn_servers SET current_users = 1 WHERE id = ${full.id}`);
    const reserved = await reserveMoveTarget(pool, { subscriptionId: subscription.id, fromServerId: from.id, actor: testActor });
    assert.deepEqual([reserved.reserved, reserved.server.id], [true, to.id], 'never the server it leaves, never a full one');
    assert.equal(
      (await reserveMoveTarget(pool, { subscriptionId: subscription.id, fromServerId: from.id, actor: testActor })).reserved,
      false,
      'idempotent',
    );
    assert.equal((await getServer(pool, from.id))?.current_users, 1);
    assert.equal((await getServer(pool, to.id))?.current_users, 1);
    assert.equal((await getSubscription(pool, subscription.id))?.move_target_server_id, to.id);

    // Expiry or cancellation mid-move (releaseServerSlot) gives back both slots.
    assert.deepEqual(await releaseServerSlot(pool, { subscriptionId: subscription.id, actor: testActor }), { released: true });
    assert.equal((await getServer(pool, from.id))?.current_users, 0);
    assert.equal((await getServer(pool, to.id))?.current_users, 0);
    assert.equal((await getSubscription(pool, subscription.id))?.move_target_server_id, null);
    const client = {
      xuiClientUuid: '00000000-0000-5000-8000-000000000001',
      xuiEmail: 'sub-x',
      xuiSubId: null,
      xuiInboundId: 1,
      vpnKey: 'vless://x',
      qrCode: null,
    };
    await assert.rejects(
      completeMove(pool, { subscriptionId: subscription.id, toServerId: to.id, client, actor: testActor }),
      isCode(ErrorCode.SUBSCRIPTION_STATE_INVALID),
    );
    const mismatches = (await listSlotCountMismatches(pool)).filter((entry) => [from.id, to.id, full.id].includes(entry.server_id));
    assert.deepEqual(mismatches, [{ server_id: full.id, current_users: 1, holding: 0, moving_in: 0 }], 'only the hand-set count is wrong');
  });
});

describe('servers', () => {
  it('tracks health transitions: down_since set once, cleared when up, only transitions audited', async () => {
    const server = await newServer(pool, 5);
    const down = await recordServerHealth(pool, { serverId: server.id, up: false, error: 'connect ECONNREFUSED', actor: testActor });
    assert.equal(down.changed, true);
    assert.equal(down.server.status, 'down');
    const since = down.server.down_since;
    assert.ok(since instanceof Date);
    const stillDown = await recordServerHealth(pool, { serverId: server.id, up: false, actor: testActor });
    assert.equal(stillDown.changed, false);
    assert.deepEqual(stillDown.server.down_since, since);
    const up = await recordServerHealth(pool, { serverId: server.id, up: true, actor: testActor });
    assert.equal(up.server.down_since, null);
    assert.ok(up.server.last_seen_at instanceof Date);
    await recordServerHealth(pool, { serverId: server.id, up: true, actor: testActor });
    assert.equal(await countAuditLogs(pool, { action: 'server.down', entityId: server.id }), 1);
    assert.equal(await countAuditLogs(pool, { action: 'server.up', entityId: server.id }), 1);
  });

  it('records the detected API version and lists servers', async () => {
    const server = await newServer(pool, 5);
    assert.equal((await setServerApiVersion(pool, { serverId: server.id, version: 'v3', actor: testActor })).xui_api_version, 'v3');
    assert.ok((await listServers(pool)).some((s) => s.id === server.id));
    assert.equal(
      (await listServers(pool, { activeOnly: true })).every((s) => s.is_active),
      true,
    );
  });

  it('stores panel secrets only encrypted, bound to the row, and reads them back', async () => {
    const box = createSecretBox(randomBytes(32));
    const server = await newServer(pool, 5);
    const row = await setServerPanelCredentials(pool, {
      serverId: server.id,
      box,
      username: 'admin',
      password: 'p@ss',
      apiToken: 'tok-123',
      actor: testActor,
    });
    assert.equal(row.xui_password, null);
    assert.match(row.xui_password_enc ?? '', /^v1:/);
    assert.equal(JSON.stringify(row).includes('p@ss'), false);
    assert.equal(JSON.stringify(row).includes('tok-123'), false);
    const credentials = await getServerPanelCredentials(pool, { serverId: server.id, box });
    assert.equal(credentials.username, 'admin');
    assert.equal(credentials.password, 'p@ss');
    assert.equal(credentials.apiToken, 'tok-123');

    // A password left undefined is kept; null clears the token.
    await setServerPanelCredentials(pool, { serverId: server.id, box, apiToken: null, actor: testActor });
    const after = await getServerPanelCredentials(pool, { serverId: server.id, box });
    assert.equal(after.password, 'p@ss');
    assert.equal(after.apiToken, null);

    // A box copied to another server does not decrypt there; another key does not decrypt at all.
    const other = await newServer(pool, 5);
    await pool.query(sql.unsafe`UPDATE vpn_servers SET xui_password_enc = ${row.xui_password_enc} WHERE id = ${other.id}`);
    await assert.rejects(getServerPanelCredentials(pool, { serverId: other.id, box }), isCode(ErrorCode.SECRET_DECRYPT_FAILED));
    await assert.rejects(
      getServerPanelCredentials(pool, { serverId: server.id, box: createSecretBox(randomBytes(32)) }),
      isCode(ErrorCode.SECRET_DECRYPT_FAILED),
    );

    const [audit] = await pool.anyFirst(
      sql.unsafe`SELECT details FROM audit_logs WHERE action = 'server.credentials_set' AND entity_id = ${server.id} ORDER BY id LIMIT 1`,
    );
    assert.deepEqual(audit, { username: true, password: true, api_token: true });
  });
});
