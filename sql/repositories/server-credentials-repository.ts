import { sql, type CommonQueryMethods } from 'slonik';
import { RecordNotFoundError } from '../../lib/errors';
import type { SecretBox } from '../../lib/crypto/secret-box';
import { vpnServerRow, type VpnServerRow } from '../schemas/vpn-server-row';
import { writeAuditLog, type Actor } from './audit-repository';

/**
 * A panel's login material, decrypted. Holds secrets: never log it, put it in an error, or return it
 * from an activity; build the panel client from it and drop it.
 */
export interface PanelCredentials {
  panelUrl: string | null;
  webBasePath: string;
  username: string | null;
  password: string | null;
  apiToken: string | null;
  apiVersion: 'v2' | 'v3' | null;
}

/**
 * Associated data binding a box to its row and column: a box copied to another server or column
 * fails to decrypt.
 */
function secretContext(serverId: number, column: 'xui_password' | 'xui_api_token'): string {
  return `vpn_servers:${serverId}:${column}`;
}

/**
 * Stores a panel's username and password and/or API token, encrypted with `box`. A field left
 * undefined keeps its current value; null clears it. The audit row says which fields changed,
 * never their values.
 *
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown server
 */
export async function setServerPanelCredentials(
  connection: CommonQueryMethods,
  input: {
    serverId: number;
    box: SecretBox;
    username?: string | null;
    password?: string | null;
    apiToken?: string | null;
    actor: Actor;
  },
): Promise<VpnServerRow> {
  const passwordEnc =
    input.password === undefined || input.password === null
      ? input.password
      : input.box.encrypt(input.password, secretContext(input.serverId, 'xui_password'));
  const tokenEnc =
    input.apiToken === undefined || input.apiToken === null
      ? input.apiToken
      : input.box.encrypt(input.apiToken, secretContext(input.serverId, 'xui_api_token'));
  return connection.transaction(async (tx) => {
    const server = await tx.maybeOne(sql.type(vpnServerRow)`
      UPDATE vpn_servers SET
        xui_username = CASE WHEN ${input.username !== undefined} THEN ${input.username ?? null} ELSE xui_username END,
        xui_password_enc = CASE WHEN ${passwordEnc !== undefined} THEN ${passwordEnc ?? null} ELSE xui_password_enc END,
        xui_api_token_enc = CASE WHEN ${tokenEnc !== undefined} THEN ${tokenEnc ?? null} ELSE xui_api_token_enc END
      WHERE id = ${input.serverId}
      RETURNING *
    `);
    if (server === null) throw new RecordNotFoundError('server');
    await writeAuditLog(tx, {
      actor: input.actor,
      action: 'server.credentials_set',
      entityType: 'vpn_server',
      entityId: server.id,
      details: {
        username: input.username !== undefined,
        password: input.password !== undefined,
        api_token: input.apiToken !== undefined,
      },
    });
    return server;
  });
}

/**
 * Reads and decrypts a panel's login material.
 *
 * @throws RecordNotFoundError (NOT_FOUND) for an unknown server; SecretDecryptError
 *   (SECRET_DECRYPT_FAILED) when a box was made with another key or was tampered with
 */
export async function getServerPanelCredentials(
  connection: CommonQueryMethods,
  input: { serverId: number; box: SecretBox },
): Promise<PanelCredentials> {
  const server = await connection.maybeOne(sql.type(vpnServerRow)`SELECT * FROM vpn_servers WHERE id = ${input.serverId}`);
  if (server === null) throw new RecordNotFoundError('server');
  return {
    panelUrl: server.xui_panel_url,
    webBasePath: server.xui_web_base_path,
    username: server.xui_username,
    password:
      server.xui_password_enc === null ? null : input.box.decrypt(server.xui_password_enc, secretContext(server.id, 'xui_password')),
    apiToken:
      server.xui_api_token_enc === null ? null : input.box.decrypt(server.xui_api_token_enc, secretContext(server.id, 'xui_api_token')),
    apiVersion: server.xui_api_version,
  };
}
