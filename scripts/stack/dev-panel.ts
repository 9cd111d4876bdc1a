/**
 * `npm run dev` without a real 3X-UI panel: points the sample server at the local fake panel
 * (the dev secrets themselves come from dev-secrets.ts).
 */
import { sql, type CommonQueryMethods } from 'slonik';
import { createSecretBox, type SecretBox } from '../../lib/crypto/secret-box';
import { createDbPool } from '../../lib/db/create-pool';
import { AppError, ErrorCode } from '../../lib/errors';
import { writeAuditLog, type Actor } from '../../sql/repositories/audit-repository';
import { getServerPanelCredentials, setServerPanelCredentials } from '../../sql/repositories/server-credentials-repository';
import { createServer } from '../../sql/repositories/servers-repository';
import { vpnServerRow, type VpnServerRow } from '../../sql/schemas/vpn-server-row';

/** Name of the seed's sample server. */
export const SAMPLE_SERVER_NAME = 'Server-1';
/** Name of the row created when the sample server is gone. */
export const DEV_SERVER_NAME = 'Dev fake panel';

/** Input of {@link ensureDevPanelServer}. */
export interface DevPanelServerInput {
  databaseUrl: string;
  /** `http://127.0.0.1:<port>` of the fake panel, no path. */
  panelUrl: string;
  username: string;
  password: string;
  /** The worker's PANEL_CREDENTIALS_KEY (32 bytes, hex or base64). */
  secretsKey: string;
  /** The fake panel's web base path; default '' (none). */
  webBasePath?: string;
  /** The VLESS inbound clients go to; default 1 (the fake's seed inbound). */
  inboundId?: number;
}

/** What {@link ensureDevPanelServer} did. */
export type DevPanelAction = 'configured' | 'created' | 'refreshed' | 'kept' | 'operator-panel';

/** Result of {@link ensureDevPanelServer}. */
export interface DevPanelServerResult {
  serverId: number;
  name: string;
  action: DevPanelAction;
}

const ACTOR: Actor = { type: 'system', component: 'dev' };

/**
 * Makes the sample server ('Server-1', or a 'Dev fake panel' row created when it is gone) use the
 * fake panel: panel URL, web base path, inbound, endpoint host 127.0.0.1 and the encrypted
 * password. A row that already names another panel URL was configured by an operator and is left
 * exactly as it is ('operator-panel'). A row already pointing at this fake panel only gets its
 * credentials re-encrypted when they do not open with `secretsKey` or differ ('refreshed').
 *
 * @throws ConfigError (CONFIG_INVALID) for a malformed key; slonik errors when the database fails
 */
export async function ensureDevPanelServer(input: DevPanelServerInput): Promise<DevPanelServerResult> {
  const box = createSecretBox(input.secretsKey);
  const pool = await createDbPool(input.databaseUrl, { maximumPoolSize: 2 });
  try {
    return await pool.transaction(async (tx) => {
      const rows = await tx.any(sql.type(vpnServerRow)`
        SELECT * FROM vpn_servers WHERE name IN (${SAMPLE_SERVER_NAME}, ${DEV_SERVER_NAME})
        ORDER BY (name = ${SAMPLE_SERVER_NAME}) DESC, id
        FOR UPDATE
      `);
      const existing = rows[0];
      if (existing === undefined) {
        const created = await createServer(tx, { name: DEV_SERVER_NAME, location: 'localhost', endpoint: '127.0.0.1:443', actor: ACTOR });
        await pointAtFakePanel(tx, created, input, box);
        return { serverId: created.id, name: created.name, action: 'created' };
      }
      if (existing.xui_panel_url === null || existing.xui_panel_url === '') {
        await pointAtFakePanel(tx, existing, input, box);
        return { serverId: existing.id, name: existing.name, action: 'configured' };
      }
      if (existing.xui_panel_url !== input.panelUrl) return { serverId: existing.id, name: existing.name, action: 'operator-panel' };
      if (await credentialsMatch(tx, existing.id, input, box)) return { serverId: existing.id, name: existing.name, action: 'kept' };
      await setServerPanelCredentials(tx, {
        serverId: existing.id,
        box,
        username: input.username,
        password: input.password,
        apiToken: null,
        actor: ACTOR,
      });
      return { serverId: existing.id, name: existing.name, action: 'refreshed' };
    });
  } finally {
    await pool.end();
  }
}

async function pointAtFakePanel(tx: CommonQueryMethods, server: VpnServerRow, input: DevPanelServerInput, box: SecretBox): Promise<void> {
  const basePath = (input.webBasePath ?? '').replace(/\/+$/, '');
  const inboundId = input.inboundId ?? 1;
  await tx.query(sql.unsafe`
    UPDATE vpn_servers SET xui_panel_url = ${input.panelUrl}, xui_web_base_path = ${basePath}, xui_inbound_id = ${inboundId},
                           endpoint = '127.0.0.1:443', xui_api_version = NULL
    WHERE id = ${server.id} AND (xui_panel_url IS NULL OR xui_panel_url = '')
  `);
  await writeAuditLog(tx, {
    actor: ACTOR,
    action: 'server.dev_panel_configured',
    entityType: 'vpn_server',
    entityId: server.id,
    details: { inbound_id: inboundId },
  });
  await setServerPanelCredentials(tx, {
    serverId: server.id,
    box,
    username: input.username,
    password: input.password,
    apiToken: null,
    actor: ACTOR,
  });
}

async function credentialsMatch(tx: CommonQueryMethods, serverId: number, input: DevPanelServerInput, box: SecretBox): Promise<boolean> {
  try {
    const stored = await getServerPanelCredentials(tx, { serverId, box });
    return stored.username === input.username && stored.password === input.password && stored.apiToken === null;
  } catch (error) {
    if (error instanceof AppError && error.code === ErrorCode.SECRET_DECRYPT_FAILED) return false;
    throw error;
  }
}
