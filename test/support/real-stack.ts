/**
 * The worker as production builds it, on the test servers: a fresh seeded database whose only
 * active server is a fake 3X-UI panel, the fake Telegram, every real activity, and a worker on a
 * unique task queue of the test Temporal dev server. Integration tests drive workflows through it.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'slonik';
import type { ActivityDeps } from '../../activities/create-activities';
import { createStarsBotApi } from '../../lib/payments/stars/create-stars-bot-api';
import { createTelegramSender } from '../../activities/telegram-sender';
import { startFakeTelegram, type FakeTelegram } from '../../fakes/telegram';
import { startFakePanel, type FakePanel } from '../../fakes/xui-panel/fake-panel';
import { createSecretBox, type SecretBox } from '../../lib/crypto/secret-box';
import { createLogger } from '../../lib/logger';
import { createPanelResolver } from '../../usecases/panel-for-server';
import { setServerPanelCredentials } from '../../sql/repositories/server-credentials-repository';
import { createServer } from '../../sql/repositories/servers-repository';
import { testActor } from './db-fixtures';
import type { VpnServerRow } from '../../sql/schemas/vpn-server-row';
import { createWorker } from '../../workers/create-worker';
import { DEFAULT_LIFECYCLE_SETTINGS, type LifecycleSettings } from '../../workflows/subscription-lifecycle';
import { createTestDatabase, type TestDatabase } from './test-database';
import { connectTestTemporal, type TestTemporal } from './test-temporal';

/** A running real stack for one test file. */
export interface RealStack {
  database: TestDatabase;
  temporal: TestTemporal;
  telegram: FakeTelegram;
  panel: FakePanel;
  server: VpnServerRow;
  taskQueue: string;
  deps: ActivityDeps;
  /** Opens the panel secrets stored by this stack (another server's credentials need it). */
  secretBox: SecretBox;
  /** Starts another fake panel and registers it as an active server (closed with the stack). */
  addServer(name: string): Promise<{ server: VpnServerRow; panel: FakePanel }>;
  /** Runs a fresh worker (a Worker runs only once) until `body` settles. */
  run<T>(body: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Builds the stack; `lifecycle` overrides timings (tests shorten the delay notice). */
export async function startRealStack(
  options: { lifecycle?: Partial<LifecycleSettings>; panelFetchFor?: (serverId: number) => typeof fetch } = {},
): Promise<RealStack> {
  const database = await createTestDatabase({ seed: true });
  const temporal = await connectTestTemporal();
  const telegram = await startFakeTelegram();
  const panel = await startFakePanel({ version: 'v3', username: 'admin', password: 'pw-0123456789' });
  const box = createSecretBox(randomBytes(32));
  const pool = database.pool;
  await pool.query(sql.unsafe`UPDATE vpn_servers SET is_active = false`);
  const server = await createServer(pool, {
    name: 'NL-1',
    endpoint: 'nl.vpn.example.com:443',
    xuiPanelUrl: panel.url,
    xuiInboundId: 1,
    actor: testActor,
  });
  await setServerPanelCredentials(pool, { serverId: server.id, box, username: 'admin', password: 'pw-0123456789', actor: testActor });
  const taskQueue = temporal.uniqueTaskQueue('real-stack');
  const extraPanels: FakePanel[] = [];
  const deps: ActivityDeps = {
    db: pool,
    logger: createLogger({ level: 'silent' }),
    panels: createPanelResolver({ db: pool, secretBox: box, timeoutMs: 1_000, fetchFor: options.panelFetchFor }),
    clientIdSalt: 'real-stack-salt-0123456789',
    publicBaseUrl: 'https://vpn.example.com',
    telegram: createTelegramSender({ token: telegram.token, apiRoot: telegram.apiRoot, maxDelaySeconds: 2 }),
    starsApi: createStarsBotApi({ token: telegram.token, apiRoot: telegram.apiRoot }),
    referralBonusKopecks: 5000n,
    temporal: temporal.client,
    lifecycle: { ...DEFAULT_LIFECYCLE_SETTINGS, ...options.lifecycle },
  };
  return {
    database,
    temporal,
    telegram,
    panel,
    server,
    taskQueue,
    deps,
    secretBox: box,
    addServer: async (name) => {
      const extra = await startFakePanel({ version: 'v3', username: 'admin', password: 'pw-0123456789' });
      extraPanels.push(extra);
      const added = await createServer(pool, {
        name,
        endpoint: `${name.toLowerCase()}.vpn.example.com:443`,
        xuiPanelUrl: extra.url,
        xuiInboundId: 1,
        actor: testActor,
      });
      await setServerPanelCredentials(pool, { serverId: added.id, box, username: 'admin', password: 'pw-0123456789', actor: testActor });
      return { server: added, panel: extra };
    },
    run: async (body) => {
      const worker = await createWorker({
        connection: temporal.nativeConnection,
        namespace: 'default',
        taskQueue,
        deps,
        shutdownGraceTimeMs: 1_000,
      });
      return worker.runUntil(body);
    },
    close: async () => {
      await telegram.close();
      await panel.close();
      await Promise.all(extraPanels.map((extra) => extra.close()));
      await temporal.close();
      await database.drop();
    },
  };
}
