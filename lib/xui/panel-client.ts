/**
 * `createPanelClient`: one 3X-UI panel, either API generation, behind one interface.
 */
import { PanelAuthError, PanelNotFoundError, PanelUnavailableError } from './panel-errors';
import { createPanelHttp, panelRoot, type PanelApiVersion, type PanelLogger } from './panel-http';
import type { PanelOps } from './panel-ops';
import { createV2Ops } from './panel-ops-v2';
import { createV3Ops } from './panel-ops-v3';
import type { PanelInbound } from './panel-schemas';
import { createPanelTlsFetch, hasPanelTls, type PanelTlsOptions } from './panel-tls-fetch';
import { createPanelWriteQueues, createVerifiedWrites, type PanelWriteQueues, type VerifiedWriteOptions } from './panel-writes';

export type { PanelApiVersion, PanelLogger } from './panel-http';

/** Options for {@link createPanelClient}. */
export interface PanelClientOptions {
  /** `scheme://host:port` of the panel, no path. */
  baseUrl: string;
  /** The panel's web base path, e.g. `/secret`; '' when none. */
  webBasePath: string;
  username: string;
  password: string;
  /** v3 API token (`Authorization: Bearer`); when set, no cookie login happens. */
  apiToken?: string | undefined;
  /**
   * The generation, or 'auto' to detect it on first use (see {@link PanelClient.detectApiVersion}).
   * A given generation that turns out wrong (an API route answers 404 to a fresh session) is
   * detected again once and reported through `onApiVersionDetected`.
   */
  apiVersion: PanelApiVersion | 'auto';
  /** Bound on each HTTP exchange, in milliseconds. */
  timeoutMs: number;
  /** Injectable fetch (default: the global one, or a TLS-aware one when `tls` is set). */
  fetch?: typeof globalThis.fetch | undefined;
  /** Trust for a self-signed HTTPS panel: a custom CA or a pinned certificate fingerprint. */
  tls?: PanelTlsOptions | undefined;
  /**
   * Where writes queue (one at a time per panel root); share one set between every client of a
   * process so clients of the same panel (several server rows) queue together. Default: own set.
   */
  writeQueues?: PanelWriteQueues | undefined;
  /** Retries of writes the panel answers 5xx or does not keep. */
  writes?: VerifiedWriteOptions | undefined;
  /** How long an inbound's settings (without clients) are reused for provisioning, in ms; default 60 000. */
  inboundShapeTtlMs?: number | undefined;
  /** Told every detected generation (e.g. to record it on the server row). */
  onApiVersionDetected?: ((version: PanelApiVersion) => Promise<void> | void) | undefined;
  logger?: PanelLogger | undefined;
}

/** Result of {@link PanelClient.probe}. */
export interface PanelProbe {
  /** Wall time of login (when needed) plus listing inbounds, in milliseconds. */
  latencyMs: number;
  apiVersion: PanelApiVersion;
  inboundCount: number;
}

/** A client for one panel. Every method may throw the typed errors of `panel-errors.ts`. */
export interface PanelClient extends PanelOps {
  /**
   * Detects the generation: from `obj.panelVersion` of `GET {base}/panel/api/server/status`
   * (v3 panels report it, v2 panels have no such field), else v3 when the authenticated
   * `GET {base}/panel/api/openapi.json` answers 200 with JSON, else v2. Kept for later calls.
   * @throws PanelAuthError (login failed, or an API token the panel rejects), PanelUnavailableError
   */
  detectApiVersion(): Promise<PanelApiVersion>;
  /** The configured generation, or the detected one (detecting on first call). */
  apiVersion(): Promise<PanelApiVersion>;
  /**
   * Health check: logs in when there is no session yet, lists the inbounds and measures the time.
   * Does not force a new login each time (the panel notifies its admins of every login).
   * @throws as listInbounds
   */
  probe(): Promise<PanelProbe>;
  /**
   * An inbound's settings and stream settings without its clients, reused for `inboundShapeTtlMs`:
   * what provisioning needs to build a client and its link, without re-reading every client.
   * @throws as getInbound
   */
  inboundShape(id: number): Promise<PanelInbound>;
}

/**
 * Creates a client for one panel. No I/O happens until the first call. Writes (add, update,
 * delete, reset) run one at a time per panel root and are verified by reading the client back.
 */
export function createPanelClient(options: PanelClientOptions): PanelClient {
  const http = createPanelHttp({
    baseUrl: options.baseUrl,
    webBasePath: options.webBasePath,
    username: options.username,
    password: options.password,
    apiToken: options.apiToken,
    timeoutMs: options.timeoutMs,
    // 'auto' whatever the recorded generation: a wrongly recorded one must still log in.
    csrf: 'auto',
    fetch: options.fetch ?? (hasPanelTls(options.tls) ? createPanelTlsFetch(options.tls) : undefined),
    logger: options.logger,
  });
  const root = panelRoot(options.baseUrl, options.webBasePath);
  const queues = options.writeQueues ?? createPanelWriteQueues();
  const queue = <T>(task: () => Promise<T>) => queues.run(root, task);
  const byVersion = {
    v2: withWrites(createV2Ops(http)),
    v3: withWrites(createV3Ops(http)),
  };
  const shapeTtlMs = options.inboundShapeTtlMs ?? 60_000;
  const shapes = new Map<number, { at: number; inbound: Promise<PanelInbound> }>();
  let known: Promise<PanelApiVersion> | undefined = options.apiVersion === 'auto' ? undefined : Promise.resolve(options.apiVersion);
  let redetectable = options.apiVersion !== 'auto';

  function withWrites(ops: PanelOps): PanelOps {
    return { ...ops, ...createVerifiedWrites(ops, queue, options.writes) };
  }

  async function detectApiVersion(): Promise<PanelApiVersion> {
    const version = (await fromServerStatus()) ?? (await fromOpenApi());
    known = Promise.resolve(version);
    options.logger?.debug({ apiVersion: version }, 'panel API generation detected');
    await options.onApiVersionDetected?.(version);
    return version;
  }

  async function fromServerStatus(): Promise<PanelApiVersion | undefined> {
    const response = await http.requestRaw({ method: 'GET', route: '/panel/api/server/status' });
    if (response.status !== 200) return undefined;
    const obj = jsonObj(response.text);
    if (obj === undefined) return undefined;
    const major = /^v?(\d+)\./.exec(typeof obj['panelVersion'] === 'string' ? obj['panelVersion'] : '')?.[1];
    return major !== undefined && Number(major) >= 3 ? 'v3' : 'v2';
  }

  async function fromOpenApi(): Promise<PanelApiVersion> {
    const route = '/panel/api/openapi.json';
    const response = await http.requestRaw({ method: 'GET', route });
    if (response.status === 200 && isJson(response.text)) return 'v3';
    if (response.status === 408 || response.status === 429 || response.status >= 500) {
      throw new PanelUnavailableError(`GET ${route}: HTTP ${response.status}`, { reason: 'http-status', status: response.status });
    }
    if (http.authMode === 'bearer') {
      throw new PanelAuthError(`GET ${route}: HTTP ${response.status} to the API token (token rejected or revoked, or not a v3 panel)`);
    }
    return response.status === 401 ? 'v3' : 'v2';
  }

  function apiVersion(): Promise<PanelApiVersion> {
    known ??= detectApiVersion().catch((error: unknown) => {
      known = undefined;
      throw error;
    });
    return known;
  }

  /** Runs `call` on the current generation's ops; a recorded generation whose routes are missing is detected again once. */
  async function run<T>(call: (ops: PanelOps) => Promise<T>): Promise<T> {
    const before = await apiVersion();
    try {
      return await call(byVersion[before]);
    } catch (error) {
      if (!(error instanceof PanelNotFoundError && error.routeMissing && redetectable)) throw error;
      redetectable = false;
      const after = await detectApiVersion();
      if (after === before) throw error;
      options.logger?.warn({ recorded: before, detected: after }, 'panel API generation was recorded wrongly; detected again');
      return call(byVersion[after]);
    }
  }

  return {
    detectApiVersion,
    apiVersion,
    async probe() {
      const started = performance.now();
      const inbounds = await run((ops) => ops.listInbounds());
      return { latencyMs: Math.round(performance.now() - started), apiVersion: await apiVersion(), inboundCount: inbounds.length };
    },
    inboundShape(id) {
      const cached = shapes.get(id);
      if (cached !== undefined && performance.now() - cached.at < shapeTtlMs) return cached.inbound;
      const inbound = run((ops) => ops.getInbound(id)).then((full) => withoutClients(full));
      shapes.set(id, { at: performance.now(), inbound });
      inbound.catch(() => shapes.delete(id));
      return inbound;
    },
    listInbounds: () => run((ops) => ops.listInbounds()),
    getInbound: (id) => run((ops) => ops.getInbound(id)),
    addClient: (inboundId, client) => run((ops) => ops.addClient(inboundId, client)),
    updateClient: (inboundId, client) => run((ops) => ops.updateClient(inboundId, client)),
    deleteClient: (inboundId, email) => run((ops) => ops.deleteClient(inboundId, email)),
    getClientTraffic: (email) => run((ops) => ops.getClientTraffic(email)),
    resetClientTraffic: (inboundId, email) => run((ops) => ops.resetClientTraffic(inboundId, email)),
    findClient: (inboundId, email) => run((ops) => ops.findClient(inboundId, email)),
    lookupClient: (email) => run((ops) => ops.lookupClient(email)),
    getClientLinks: (email) => run((ops) => ops.getClientLinks(email)),
  };
}

/** An inbound without its clients (its settings keep every other key). */
function withoutClients(inbound: PanelInbound): PanelInbound {
  const { clients: _clients, ...settings } = inbound.settings;
  return { ...inbound, settings, clients: [], clientStats: [] };
}

/** `obj` of a successful JSON envelope when it is an object, else undefined. */
function jsonObj(text: string): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(text) as { success?: unknown; obj?: unknown };
    const obj = parsed.obj;
    return parsed.success === true && obj !== null && typeof obj === 'object' && !Array.isArray(obj)
      ? (obj as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
