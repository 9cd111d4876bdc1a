/**
 * `createPanelResolver`: the panel client of a `vpn_servers` row, built from its panel URL, web
 * base path, decrypted password or API token, recorded API generation and TLS trust (custom CA or
 * pinned certificate), and cached while the columns it was built from stay the same.
 */
import { createHash } from 'node:crypto';
import type { CommonQueryMethods } from 'slonik';
import type { SecretBox } from '../lib/crypto/secret-box';
import { RecordNotFoundError } from '../lib/errors';
import type { Actor } from '../sql/repositories/audit-repository';
import { getServerPanelCredentials } from '../sql/repositories/server-credentials-repository';
import { getServer, setServerApiVersion } from '../sql/repositories/servers-repository';
import type { VpnServerRow } from '../sql/schemas/vpn-server-row';
import { createPanelClient, type PanelClient, type PanelLogger } from '../lib/xui/panel-client';
import { PanelNotConfiguredError } from '../lib/xui/panel-errors';
import { createPanelWriteQueues, type PanelWriteQueues } from '../lib/xui/panel-writes';

/** Dependencies of {@link createPanelResolver}. */
export interface PanelResolverDeps {
  /** Where the server rows live (a pool; a transaction would pin one connection). */
  db: CommonQueryMethods;
  /** Opens `xui_password_enc` / `xui_api_token_enc`. */
  secretBox: SecretBox;
  /** Bound on each panel HTTP exchange, in milliseconds. */
  timeoutMs: number;
  /** Injectable fetch (default: the global one). */
  fetch?: typeof globalThis.fetch | undefined;
  /** The fetch for one server's panel, e.g. one that counts calls per server (metrics); wins over `fetch`. */
  fetchFor?: ((serverId: number) => typeof globalThis.fetch) | undefined;
  /** Receives route/status/timing lines from the panel clients; never secrets. */
  logger?: PanelLogger | undefined;
  /**
   * Where panel writes queue, one at a time per panel root (shared by every server row on one
   * panel); default a set of this resolver's own.
   */
  writeQueues?: PanelWriteQueues | undefined;
}

/** A server row and the client of its panel. */
export interface ServerPanel {
  /** The row as read by this call (holds encrypted secrets only; do not log it whole). */
  server: VpnServerRow;
  client: PanelClient;
}

/** Resolves server ids to panel clients. */
export interface PanelResolver {
  /**
   * The panel client of a server, reusing the cached one (and its login session) while the row's
   * panel URL, web base path, username, secret boxes and API generation are unchanged. Reads the
   * row on every call, so an operator's change takes effect on the next call. When the row records
   * no API generation, detects it once (one authenticated request) and records it on the row.
   *
   * @throws RecordNotFoundError (NOT_FOUND) for an unknown server; PanelNotConfiguredError
   *   (PANEL_NOT_CONFIGURED) when the row has no panel URL or no credentials; SecretDecryptError
   *   (SECRET_DECRYPT_FAILED) when a box does not open with this key; the panel client's errors
   *   while detecting the generation
   */
  getPanel(serverId: number): Promise<ServerPanel>;
}

const ACTOR: Actor = { type: 'system', component: 'panel-resolver' };

interface CacheEntry {
  fingerprint: string;
  client: Promise<PanelClient>;
}

/**
 * Creates a resolver. Clients are kept in memory per server id; nothing is shared between
 * resolvers, so a test builds its own.
 */
export function createPanelResolver(deps: PanelResolverDeps): PanelResolver {
  const cache = new Map<number, CacheEntry>();
  const writeQueues = deps.writeQueues ?? createPanelWriteQueues();

  async function build(server: VpnServerRow, key: { fingerprint: string }): Promise<PanelClient> {
    if (server.xui_panel_url === null || server.xui_panel_url === '') {
      throw new PanelNotConfiguredError(`server ${server.id} has no panel URL`);
    }
    const credentials = await getServerPanelCredentials(deps.db, { serverId: server.id, box: deps.secretBox });
    const hasLogin = credentials.username !== null && credentials.username !== '' && credentials.password !== null;
    const apiToken = credentials.apiToken === null || credentials.apiToken === '' ? undefined : credentials.apiToken;
    const hasToken = apiToken !== undefined;
    if (credentials.panelUrl === null || (!hasLogin && !hasToken)) {
      throw new PanelNotConfiguredError(`server ${server.id} has no panel credentials (username and password, or API token)`);
    }
    const client = createPanelClient({
      baseUrl: credentials.panelUrl,
      webBasePath: credentials.webBasePath,
      username: credentials.username ?? '',
      password: credentials.password ?? '',
      apiToken,
      apiVersion: credentials.apiVersion ?? 'auto',
      timeoutMs: deps.timeoutMs,
      fetch: deps.fetchFor?.(server.id) ?? deps.fetch,
      tls: { caPem: server.xui_tls_ca_pem, pinSha256: server.xui_tls_pin_sha256 },
      writeQueues,
      logger: deps.logger,
      // A generation detected (first use, or a recorded one found wrong) is recorded on the row.
      onApiVersionDetected: async (version) => {
        if (version === recorded) return;
        const row = await setServerApiVersion(deps.db, { serverId: server.id, version, actor: ACTOR });
        recorded = version;
        // Recording the generation changes the row this entry was keyed by; the client is still right.
        key.fingerprint = fingerprint(row);
        deps.logger?.debug({ serverId: server.id, apiVersion: version }, 'panel API generation recorded');
      },
    });
    let recorded = credentials.apiVersion;
    if (recorded === null) await client.detectApiVersion();
    return client;
  }

  return {
    async getPanel(serverId) {
      const server = await getServer(deps.db, serverId);
      if (server === null) throw new RecordNotFoundError('server');
      const current = fingerprint(server);
      const cached = cache.get(serverId);
      if (cached !== undefined && cached.fingerprint === current) return { server, client: await cached.client };

      const key = { fingerprint: current };
      const entry: CacheEntry = Object.assign(key, { client: build(server, key) });
      cache.set(serverId, entry);
      try {
        return { server, client: await entry.client };
      } catch (error) {
        if (cache.get(serverId) === entry) cache.delete(serverId);
        throw error;
      }
    },
  };
}

/**
 * A digest of the columns a client is built from. The secret boxes take part as ciphertext (a
 * re-encrypted secret has a new IV, so setting credentials again always rebuilds the client);
 * health columns and `updated_at` do not, so a probe's bookkeeping keeps the login session.
 */
function fingerprint(server: VpnServerRow): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        server.xui_panel_url,
        server.xui_web_base_path,
        server.xui_username,
        server.xui_password_enc,
        server.xui_api_token_enc,
        server.xui_api_version,
        server.xui_tls_ca_pem,
        server.xui_tls_pin_sha256,
      ]),
    )
    .digest('base64');
}

/**
 * The host part of a server's public `endpoint` (`host:port`, `[v6]:port` or a bare host): the
 * address share links use when an inbound listens on all addresses.
 */
export function serverPublicHost(server: Pick<VpnServerRow, 'endpoint'>): string {
  const endpoint = server.endpoint.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(endpoint);
  if (bracketed?.[1] !== undefined) return bracketed[1];
  const colons = endpoint.split(':').length - 1;
  if (colons === 1) return endpoint.replace(/:\d*$/, '');
  return endpoint;
}
