/**
 * The panel import against a fake 3X-UI panel, a real database and the Temporal dev server: a dry
 * run reports and writes nothing; the import matches users by tgId, by a Telegram id in the email
 * or by username, creates new ones, records each client as an active subscription until its expiry
 * with its identity, starts one lifecycle workflow each (active, with its end date), skips what
 * it cannot vouch for; a re-run is a no-op; and the reconciler then leaves the imported clients be.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { z } from 'zod';
import { createReconcileActivities } from '../activities/reconcile-activities';
import { startFakePanel, type FakePanel } from '../fakes/xui-panel/fake-panel';
import type { StoredClientJson } from '../fakes/xui-panel/fake-panel-state';
import { realityTcpInbound, tcpHttpInbound } from '../fakes/xui-panel/seed-inbounds';
import { createSecretBox } from '../lib/crypto/secret-box';
import { createLogger } from '../lib/logger';
import { listUndeliveredKeys } from '../sql/repositories/invariants-repository';
import { setServerPanelCredentials } from '../sql/repositories/server-credentials-repository';
import { createServer, getServer } from '../sql/repositories/servers-repository';
import { getOrCreateUser, getUserByTelegramId } from '../sql/repositories/users-repository';
import { subscriptionRow } from '../sql/schemas/subscription-row';
import { testActor } from '../test/support/db-fixtures';
import { createTestDatabase, type TestDatabase } from '../test/support/test-database';
import { connectTestTemporal, type TestTemporal } from '../test/support/test-temporal';
import { SubscriptionStatusAttribute, subscriptionWorkflowId } from '../workflows/contract';
import { DEFAULT_LIFECYCLE_SETTINGS } from '../workflows/subscription-lifecycle';
import { importPanelClients, telegramIdOf, type ImportPanelDeps } from './import-panel';
import { createPanelResolver } from './panel-for-server';

const KEY = randomBytes(32).toString('hex');
const box = createSecretBox(KEY);
const PASSWORD = 'import-pass-0123456789';
const DAY = 86_400_000;
const now = Date.now();
const base = randomInt(1e8, 9e8);
let db: TestDatabase;
let temporal: TestTemporal;
let panel: FakePanel;
let serverId: number;
const started: number[] = [];

function client(email: string, overrides: Partial<StoredClientJson> = {}): StoredClientJson {
  return {
    id: crypto.randomUUID(),
    email,
    enable: true,
    expiryTime: now + 10 * DAY,
    totalGB: 0,
    limitIp: 0,
    flow: '',
    subId: email.replace(/\W/g, ''),
    tgId: 0,
    comment: '',
    ...overrides,
  };
}

before(async () => {
  db = await createTestDatabase({ seed: true });
  // Ids far from other test files' on the shared dev server: workflow ids embed them.
  await db.pool.query(sql.unsafe`SELECT setval('subscriptions_id_seq', ${randomInt(1e8, 2e9)})`);
  temporal = await connectTestTemporal();
  panel = await startFakePanel({
    version: 'v3',
    username: 'admin',
    password: PASSWORD,
    inbounds: [realityTcpInbound(1, 443), tcpHttpInbound(2, 8080)],
  });
  const server = await createServer(db.pool, {
    name: 'imported',
    endpoint: 'imp.example:443',
    xuiPanelUrl: panel.url,
    xuiInboundId: 1,
    actor: testActor,
  });
  await setServerPanelCredentials(db.pool, { serverId: server.id, box, username: 'admin', password: PASSWORD, actor: testActor });
  serverId = server.id;

  await getOrCreateUser(db.pool, { telegramId: base + 2 });
  await getOrCreateUser(db.pool, { telegramId: base + 3, username: 'Alice_Imported' });
  const one = panel.state.findInbound(1);
  const two = panel.state.findInbound(2);
  assert.ok(one && two);
  panel.state.writeClients(one, [
    client('from-other-bot-1', { tgId: base + 1 }),
    client(`tg_${base + 2}`),
    client('alice_imported', { expiryTime: now + 40 * DAY }),
    client('bob-unknown'),
    client('expired-one', { tgId: base + 4, expiryTime: now - DAY }),
    client('forever', { tgId: base + 5, expiryTime: 0 }),
    client('switched-off', { tgId: base + 6, enable: false }),
  ]);
  panel.state.writeClients(two, [client('other-inbound', { tgId: base + 7 })]);
});
after(async () => {
  for (const id of started)
    await temporal.client.workflow
      .getHandle(subscriptionWorkflowId(id))
      .terminate('test over')
      .catch(() => undefined);
  await temporal?.close();
  await panel?.close();
  await db?.drop();
});

function deps(taskQueue: string): ImportPanelDeps {
  return {
    db: db.pool,
    panels: createPanelResolver({ db: db.pool, secretBox: box, timeoutMs: 2_000 }),
    temporal: { client: temporal.client, taskQueue },
    lifecycle: DEFAULT_LIFECYCLE_SETTINGS,
    actor: { type: 'system', component: 'import-panel' },
  };
}

const countOf = async (table: 'subscriptions' | 'users') =>
  db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM ${sql.identifier([table])}`);

describe('importPanelClients', () => {
  it('reads a Telegram id from tgId or from an email that is one', () => {
    assert.equal(telegramIdOf({ tgId: 42424242, email: 'x' }), 42424242);
    assert.equal(telegramIdOf({ tgId: 0, email: '123456789' }), 123456789);
    assert.equal(telegramIdOf({ tgId: 0, email: 'tg_123456789_2' }), 123456789);
    assert.equal(telegramIdOf({ tgId: 0, email: 'alice' }), null);
    assert.equal(telegramIdOf({ tgId: 0, email: '1234' }), null, 'too short to be a Telegram id');
  });

  it('npm run import-panel -- --dry-run prints the plan and writes nothing', async () => {
    const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(root, 'scripts', 'import-panel.ts'), '--server', String(serverId), '--dry-run'],
      {
        cwd: root,
        env: { PATH: process.env.PATH, DATABASE_URL: db.url, PANEL_CREDENTIALS_KEY: KEY },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    assert.equal(await new Promise((resolve) => child.once('exit', resolve)), 0, output);
    assert.match(output, /import {2}from-other-bot-1: new user tg \d+, until /);
    assert.match(output, /skip {4}bob-unknown: no-user/);
    assert.match(output, /dry run: would import 3, skipped 4 \(server \d+, inbound 1, renewals at plan \d+\)/);
    assert.equal(await countOf('subscriptions'), 0);
  });

  it('dry-runs, imports each client under its own lifecycle workflow, and re-runs as a no-op', async () => {
    const taskQueue = temporal.uniqueTaskQueue('import');
    const usersBefore = await countOf('users');
    const dry = await importPanelClients(deps(taskQueue), { serverId, dryRun: true });
    const verdicts = (report: typeof dry) =>
      Object.fromEntries(report.items.map((item) => [item.email, item.action === 'import' ? 'import' : item.reason]));
    assert.deepEqual(verdicts(dry), {
      'from-other-bot-1': 'import',
      [`tg_${base + 2}`]: 'import',
      alice_imported: 'import',
      'bob-unknown': 'no-user',
      'expired-one': 'expired',
      forever: 'no-expiry',
      'switched-off': 'disabled',
    });
    assert.equal(dry.items.find((item) => item.email === 'from-other-bot-1')?.newUser, true);
    assert.equal(await countOf('subscriptions'), 0, 'a dry run writes nothing');
    assert.equal(await countOf('users'), usersBefore);

    const report = await importPanelClients(deps(taskQueue), { serverId, dryRun: false });
    assert.deepEqual(verdicts(report), verdicts(dry), 'the import does what the dry run said');
    assert.equal(report.imported, 3);
    const rows = await db.pool.any(sql.type(subscriptionRow)`SELECT * FROM subscriptions ORDER BY id`);
    assert.equal(rows.length, 3);
    const inbound = panel.state.findInbound(1);
    assert.ok(inbound);
    const onPanel = new Map(panel.state.readClients(inbound).map((entry) => [String(entry['email']), entry]));
    for (const row of rows) {
      const original = onPanel.get(row.xui_email ?? '');
      assert.ok(original, `${row.xui_email} is a panel client`);
      assert.equal(row.status, 'active');
      assert.equal(row.server_id, serverId);
      assert.equal(row.server_slot_held, true);
      assert.equal(row.xui_client_uuid, original['id'], 'the same key keeps working');
      assert.equal(row.end_date?.getTime(), original['expiryTime']);
      started.push(row.id);
      const description = await temporal.client.workflow.getHandle(subscriptionWorkflowId(row.id)).describe();
      assert.equal(description.status.name, 'RUNNING');
      assert.equal(description.typedSearchAttributes.get(SubscriptionStatusAttribute), 'active');
    }
    const newUser = await getUserByTelegramId(db.pool, base + 1);
    assert.ok(newUser, 'a user is created for an unknown tgId');
    assert.equal(rows.find((row) => row.xui_email === 'from-other-bot-1')?.user_id, newUser.id);
    assert.equal(rows.find((row) => row.xui_email === `tg_${base + 2}`)?.user_id, (await getUserByTelegramId(db.pool, base + 2))?.id);
    assert.equal(rows.find((row) => row.xui_email === 'alice_imported')?.user_id, (await getUserByTelegramId(db.pool, base + 3))?.id);
    assert.equal((await getServer(db.pool, serverId))?.current_users, 3);
    const undelivered = await listUndeliveredKeys(db.pool, { settleSeconds: 0, kinds: ['key_delivered'] });
    assert.deepEqual(
      undelivered.filter((entry) => rows.some((row) => row.id === entry.subscription_id)),
      [],
      'imported users have their key from before: no "key never delivered" invariant alert',
    );

    const again = await importPanelClients(deps(taskQueue), { serverId, dryRun: false });
    assert.equal(again.imported, 0);
    assert.deepEqual(
      again.items.filter((item) => item.reason === 'already-imported').map((item) => [item.email, item.workflow]),
      [
        ['from-other-bot-1', 'exists'],
        [`tg_${base + 2}`, 'exists'],
        ['alice_imported', 'exists'],
      ],
    );
    assert.equal(await countOf('subscriptions'), 3, 're-running imports nothing twice');
    assert.equal((await getServer(db.pool, serverId))?.current_users, 3);

    // The reconciler now counts them as the server's own: nothing deleted, nothing to repair.
    const { reconcilePanel } = createReconcileActivities({
      db: db.pool,
      logger: createLogger({ level: 'silent' }),
      panels: createPanelResolver({ db: db.pool, secretBox: box, timeoutMs: 2_000 }),
      clientIdSalt: 'import-salt-0123456789',
    });
    const reconciled = await reconcilePanel({ serverId });
    assert.deepEqual(reconciled.fixed, []);
    assert.deepEqual(reconciled.unresolved, [{ kind: 'foreign', fix: null, inboundId: 1, clients: 4 }]);
    assert.equal(panel.state.clients().length, 8);
  });
});
