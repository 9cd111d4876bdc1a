/**
 * Server management for operators: one service behind `npm run servers` (scripts/servers.ts) and
 * the bot's operator screens. A server row is one inbound sold from one 3X-UI panel: a panel that
 * sells tcp and REALITY has two rows with the same panel URL and credentials and their own
 * inbound, endpoint, capacity and location (the reconciler keeps each row to its own inbound).
 *
 * Secrets (panel password, API token) are passed in by the caller (from the environment or stdin,
 * never the command line), stored only encrypted (server-credentials-repository), and never
 * returned, logged or put in an error.
 */
import { z } from 'zod';
import type { SecretBox } from '../lib/crypto/secret-box';
import type { DatabasePool } from '../lib/db/create-pool';
import { InvalidInputError, RecordNotFoundError } from '../lib/errors';
import { createPanelClient, type PanelApiVersion } from '../lib/xui/panel-client';
import { isPanelError } from '../lib/xui/panel-errors';
import type { PanelInbound } from '../lib/xui/panel-schemas';
import type { Actor } from '../sql/repositories/audit-repository';
import { getServerPanelCredentials, setServerPanelCredentials } from '../sql/repositories/server-credentials-repository';
import {
  createServer,
  deleteUnusedServer,
  getServer,
  listServers,
  reopenServer,
  setServerActive,
  updateServer,
  type ReopenRefusal,
  type ServerChanges,
} from '../sql/repositories/servers-repository';
import type { VpnServerRow } from '../sql/schemas/vpn-server-row';

/** Dependencies of {@link createServersService}. */
export interface ServersServiceDeps {
  db: DatabasePool;
  /** Seals and opens panel secrets (PANEL_CREDENTIALS_KEY). */
  secretBox: SecretBox;
  /** Bound on each panel HTTP exchange while testing, in milliseconds. */
  panelTimeoutMs: number;
  /** How long a closed server must have been healthy before `reopen` opens it (PANEL_REOPEN_AFTER_SECONDS). */
  reopenAfterSeconds: number;
  /** Who acts (audit rows): the CLI, or the operator in the bot. */
  actor: Actor;
  /** Injectable fetch for the panel (default: the global one). */
  fetch?: typeof globalThis.fetch | undefined;
}

/** How to reach and log in to a panel. Holds secrets: never log it. */
export interface PanelAccess {
  /** `scheme://host:port`, no path. */
  panelUrl: string;
  /** '' or '/seg[/seg...]'. */
  webBasePath: string;
  username?: string | null | undefined;
  password?: string | null | undefined;
  /** 3X-UI v3 API token (Bearer). */
  apiToken?: string | null | undefined;
}

/** One inbound as the connection test shows it. */
export interface InboundSummary {
  id: number;
  protocol: string;
  port: number;
  remark: string;
  enable: boolean;
  /** streamSettings.network (tcp, ws, grpc, ...). */
  network: string;
  /** streamSettings.security (none, tls, reality). */
  security: string;
  clients: number;
}

/** What testing a panel found. Never carries a secret. */
export type ConnectionTest =
  { ok: true; apiVersion: PanelApiVersion; latencyMs: number; inbounds: InboundSummary[] } | { ok: false; error: string; message: string };

/** A server to add. */
export interface AddServerInput {
  name: string;
  /** Panel access; or `samePanelAs` to copy another row's panel URL, base path and credentials. */
  access?: PanelAccess | undefined;
  samePanelAs?: number | undefined;
  /** The VLESS inbound this row sells. */
  inboundId: number;
  /** `host:port` users connect to; default the panel's host and the inbound's port (needs the test). */
  endpoint?: string | undefined;
  location?: string | null | undefined;
  maxUsers?: number | undefined;
  subBaseUrl?: string | null | undefined;
  /** Test the panel first and refuse an unreachable panel or a missing/non-VLESS inbound; default true. */
  test?: boolean | undefined;
  /** Add it closed to new subscriptions (open it later with enable). */
  closed?: boolean | undefined;
}

/** A server as `list` shows it. */
export interface ServerSummary {
  id: number;
  name: string;
  location: string | null;
  endpoint: string;
  panelUrl: string | null;
  webBasePath: string;
  inboundId: number | null;
  apiVersion: PanelApiVersion | null;
  auth: 'password' | 'token' | 'none';
  open: boolean;
  closedReason: VpnServerRow['closed_reason'];
  status: VpnServerRow['status'];
  users: number;
  maxUsers: number;
  /** users / maxUsers, 0..1. */
  load: number;
  lastSeenAt: Date | null;
  downSince: Date | null;
  upSince: Date | null;
  lastError: string | null;
}

const panelUrlSchema = z
  .url({ protocol: /^https?$/ })
  .transform((url) => url.replace(/\/+$/, ''))
  .refine((url) => new URL(url).pathname === '/', 'the panel URL is scheme://host:port without a path; give the path as the web base path');
const webBasePathSchema = z
  .string()
  .transform((path) => (path === '/' ? '' : path.replace(/\/+$/, '')))
  .pipe(z.string().regex(/^(\/[^\s/]+)*$/, "must be '' or /seg[/seg...]"));
const endpointSchema = z.string().regex(/^(\[[0-9a-fA-F:]+\]|[^\s:/[\]]+):\d{1,5}$/, 'must be host:port');
const nameSchema = z.string().trim().min(1).max(100);

function parse<S extends z.ZodType>(schema: S, value: unknown, field: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidInputError(`${field}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/** The inbound summary of a panel inbound. */
export function summarizeInbound(inbound: PanelInbound): InboundSummary {
  const stream = inbound.streamSettings;
  return {
    id: inbound.id,
    protocol: inbound.protocol,
    port: inbound.port,
    remark: inbound.remark,
    enable: inbound.enable,
    network: typeof stream['network'] === 'string' ? stream['network'] : 'tcp',
    security: typeof stream['security'] === 'string' ? stream['security'] : 'none',
    clients: inbound.clients.length,
  };
}

/** The summary of a row (no secrets: only which kind of login it has). */
export function summarizeServer(server: VpnServerRow): ServerSummary {
  return {
    id: server.id,
    name: server.name,
    location: server.location,
    endpoint: server.endpoint,
    panelUrl: server.xui_panel_url,
    webBasePath: server.xui_web_base_path,
    inboundId: server.xui_inbound_id,
    apiVersion: server.xui_api_version,
    auth: server.xui_api_token_enc !== null ? 'token' : server.xui_password_enc !== null ? 'password' : 'none',
    open: server.is_active,
    closedReason: server.closed_reason,
    status: server.status,
    users: server.current_users,
    maxUsers: server.max_users,
    load: server.max_users === 0 ? 1 : server.current_users / server.max_users,
    lastSeenAt: server.last_seen_at,
    downSince: server.down_since,
    upSince: server.up_since,
    lastError: server.last_health_error,
  };
}

/** Creates the service. Nothing is cached: every call reads the rows as they are. */
export function createServersService(deps: ServersServiceDeps) {
  const { db, actor } = deps;

  async function requireServer(serverId: number): Promise<VpnServerRow> {
    const server = await getServer(db, serverId);
    if (server === null) throw new RecordNotFoundError(`server ${serverId}`);
    return server;
  }

  function checkAccess(access: PanelAccess): PanelAccess {
    const hasToken = access.apiToken !== undefined && access.apiToken !== null && access.apiToken !== '';
    const hasLogin = (access.username ?? '') !== '' && (access.password ?? '') !== '';
    if (!hasToken && !hasLogin) throw new InvalidInputError('give a username and password, or an API token (v3 panels)');
    return {
      ...access,
      panelUrl: parse(panelUrlSchema, access.panelUrl, 'panel URL'),
      webBasePath: parse(webBasePathSchema, access.webBasePath, 'web base path'),
    };
  }

  /** Logs in (or uses the token), detects the generation and lists the inbounds. */
  async function testPanel(access: PanelAccess): Promise<ConnectionTest> {
    const checked = checkAccess(access);
    const client = createPanelClient({
      baseUrl: checked.panelUrl,
      webBasePath: checked.webBasePath,
      username: checked.username ?? '',
      password: checked.password ?? '',
      apiToken: checked.apiToken === null || checked.apiToken === '' ? undefined : checked.apiToken,
      apiVersion: 'auto',
      timeoutMs: deps.panelTimeoutMs,
      fetch: deps.fetch,
    });
    try {
      const probe = await client.probe();
      const inbounds = await client.listInbounds();
      return { ok: true, apiVersion: probe.apiVersion, latencyMs: probe.latencyMs, inbounds: inbounds.map(summarizeInbound) };
    } catch (error) {
      if (!isPanelError(error)) throw error;
      return { ok: false, error: error.code, message: error.message };
    }
  }

  /** The stored access of a row, decrypted (for tests and for copying to a sibling row). */
  async function storedAccess(server: VpnServerRow): Promise<PanelAccess> {
    if (server.xui_panel_url === null || server.xui_panel_url === '') throw new InvalidInputError(`server ${server.id} has no panel URL`);
    const credentials = await getServerPanelCredentials(db, { serverId: server.id, box: deps.secretBox });
    return {
      panelUrl: server.xui_panel_url,
      webBasePath: server.xui_web_base_path,
      username: credentials.username,
      password: credentials.password,
      apiToken: credentials.apiToken,
    };
  }

  function requireSellableInbound(test: Extract<ConnectionTest, { ok: true }>, inboundId: number): InboundSummary {
    const inbound = test.inbounds.find((candidate) => candidate.id === inboundId);
    const offered = test.inbounds
      .map((candidate) => `${candidate.id} (${candidate.protocol}/${candidate.network}/${candidate.security} :${candidate.port})`)
      .join(', ');
    if (inbound === undefined) throw new InvalidInputError(`the panel has no inbound ${inboundId}; it has: ${offered || 'none'}`);
    if (inbound.protocol !== 'vless')
      throw new InvalidInputError(`inbound ${inboundId} is ${inbound.protocol}, not vless; VLESS inbounds: ${offered}`);
    return inbound;
  }

  return {
    testPanel,

    /** Tests a stored server's panel with its stored credentials. @throws RecordNotFoundError, InvalidInputError */
    async testServer(serverId: number): Promise<ConnectionTest> {
      return testPanel(await storedAccess(await requireServer(serverId)));
    },

    /**
     * Adds a server row selling one inbound of a panel, its secrets stored encrypted; with `test`
     * (default) the panel is tested first and the inbound must exist and be VLESS.
     *
     * @throws InvalidInputError (bad input, a failed test: its message says why), RecordNotFoundError
     *   (samePanelAs unknown)
     */
    async add(input: AddServerInput): Promise<{ server: VpnServerRow; test: ConnectionTest | null }> {
      const name = parse(nameSchema, input.name, 'name');
      const inboundId = parse(z.number().int().positive(), input.inboundId, 'inbound id');
      const maxUsers = parse(z.number().int().positive(), input.maxUsers ?? 1000, 'capacity');
      let access: PanelAccess;
      if (input.samePanelAs !== undefined) {
        if (input.access !== undefined) throw new InvalidInputError('give either panel access or samePanelAs, not both');
        access = await storedAccess(await requireServer(input.samePanelAs));
      } else if (input.access !== undefined) {
        access = checkAccess(input.access);
      } else {
        throw new InvalidInputError('give the panel URL and credentials, or samePanelAs');
      }
      let test: ConnectionTest | null = null;
      let endpoint = input.endpoint === undefined ? undefined : parse(endpointSchema, input.endpoint, 'endpoint');
      if (input.test !== false) {
        test = await testPanel(access);
        if (!test.ok) throw new InvalidInputError(`the panel test failed (${test.error}): ${test.message}`);
        const inbound = requireSellableInbound(test, inboundId);
        endpoint ??= `${new URL(access.panelUrl).hostname}:${inbound.port}`;
      }
      if (endpoint === undefined) throw new InvalidInputError('give the endpoint (host:port) when the panel is not tested');
      const publicEndpoint = endpoint;
      const server = await db.transaction(async (tx) => {
        const created = await createServer(tx, {
          name,
          location: input.location ?? null,
          endpoint: publicEndpoint,
          xuiPanelUrl: access.panelUrl,
          xuiWebBasePath: access.webBasePath,
          xuiInboundId: inboundId,
          xuiSubBaseUrl: input.subBaseUrl ?? null,
          maxUsers,
          isActive: input.closed !== true,
          actor,
        });
        return setServerPanelCredentials(tx, {
          serverId: created.id,
          box: deps.secretBox,
          username: access.username ?? null,
          password: access.password ?? null,
          apiToken: access.apiToken ?? null,
          actor,
        });
      });
      return { server, test };
    },

    /** Every server with its load, health and last error, by id. */
    async list(): Promise<ServerSummary[]> {
      return (await listServers(db)).map(summarizeServer);
    },

    /** One server's summary. @throws RecordNotFoundError */
    async show(serverId: number): Promise<ServerSummary> {
      return summarizeServer(await requireServer(serverId));
    },

    /**
     * Changes a server's name, location, endpoint, capacity, inbound, panel URL or base path (a new
     * panel URL or base path, or `resetApiVersion`, makes the next use detect the generation again).
     *
     * @throws InvalidInputError (bad values, a capacity below the users placed), RecordNotFoundError
     */
    async edit(serverId: number, changes: ServerChanges): Promise<VpnServerRow> {
      const server = await requireServer(serverId);
      const checked: ServerChanges = { ...changes };
      if (changes.name !== undefined) checked.name = parse(nameSchema, changes.name, 'name');
      if (changes.endpoint !== undefined) checked.endpoint = parse(endpointSchema, changes.endpoint, 'endpoint');
      if (changes.xuiPanelUrl !== undefined && changes.xuiPanelUrl !== null)
        checked.xuiPanelUrl = parse(panelUrlSchema, changes.xuiPanelUrl, 'panel URL');
      if (changes.xuiWebBasePath !== undefined) checked.xuiWebBasePath = parse(webBasePathSchema, changes.xuiWebBasePath, 'web base path');
      if (changes.xuiInboundId !== undefined && changes.xuiInboundId !== null)
        checked.xuiInboundId = parse(z.number().int().positive(), changes.xuiInboundId, 'inbound id');
      if (changes.maxUsers !== undefined) {
        checked.maxUsers = parse(z.number().int().positive(), changes.maxUsers, 'capacity');
        if (checked.maxUsers < server.current_users)
          throw new InvalidInputError(`capacity ${checked.maxUsers} is below the ${server.current_users} users already placed`);
      }
      return updateServer(db, { serverId, changes: checked, actor });
    },

    /**
     * Replaces a server's credentials (password rotation, a new API token). With `test` (default)
     * the new credentials are tried first and nothing is stored when they fail.
     *
     * @throws InvalidInputError (no secret given, the test failed), RecordNotFoundError
     */
    async rotateCredentials(
      serverId: number,
      credentials: { username?: string | null; password?: string | null; apiToken?: string | null },
      options: { test?: boolean } = {},
    ): Promise<{ server: VpnServerRow; test: ConnectionTest | null }> {
      const server = await requireServer(serverId);
      if (credentials.username === undefined && credentials.password === undefined && credentials.apiToken === undefined) {
        throw new InvalidInputError('give a new password, API token or username');
      }
      let test: ConnectionTest | null = null;
      if (options.test !== false) {
        const current = await storedAccess(server);
        test = await testPanel({
          ...current,
          username: credentials.username === undefined ? current.username : credentials.username,
          password: credentials.password === undefined ? current.password : credentials.password,
          apiToken: credentials.apiToken === undefined ? current.apiToken : credentials.apiToken,
        });
        if (!test.ok)
          throw new InvalidInputError(`the new credentials failed the panel test (${test.error}): ${test.message}; nothing was changed`);
      }
      const updated = await setServerPanelCredentials(db, { serverId, box: deps.secretBox, ...credentials, actor });
      return { server: updated, test };
    },

    /** Closes a server to new subscriptions (its subscriptions stay). @throws RecordNotFoundError */
    async disable(serverId: number): Promise<VpnServerRow> {
      return setServerActive(db, { serverId, active: false, actor });
    },

    /** Opens a server to new subscriptions at once, whatever its health. @throws RecordNotFoundError */
    async enable(serverId: number): Promise<VpnServerRow> {
      return setServerActive(db, { serverId, active: true, actor });
    },

    /**
     * Re-opens a closed server once it has been healthy for `reopenAfterSeconds` (`force` skips the
     * check). @throws RecordNotFoundError
     */
    async reopen(
      serverId: number,
      options: { force?: boolean } = {},
    ): Promise<{ reopened: boolean; reason?: ReopenRefusal; server: VpnServerRow }> {
      return reopenServer(db, { serverId, healthyForSeconds: deps.reopenAfterSeconds, force: options.force === true, actor });
    },

    /**
     * Deletes a server no subscription ever lived on (one added by mistake).
     *
     * @throws InvalidInputError when subscriptions name it (close it with disable instead), RecordNotFoundError
     */
    async remove(serverId: number): Promise<void> {
      if (!(await deleteUnusedServer(db, { serverId, actor }))) {
        throw new InvalidInputError(`server ${serverId} has subscriptions; close it to new ones with disable instead`);
      }
    },
  };
}

/** The servers service's interface. */
export type ServersService = ReturnType<typeof createServersService>;
