/**
 * `createPanelClient`: one 3X-UI panel, either API generation, behind one interface.
 */
import { PanelAuthError, PanelUnavailableError } from './panel-errors';
import { createPanelHttp, type PanelApiVersion, type PanelLogger } from './panel-http';
import type { PanelOps } from './panel-ops';
import { createV2Ops } from './panel-ops-v2';
import { createV3Ops } from './panel-ops-v3';

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
  /** The generation, or 'auto' to detect it on first use (see {@link PanelClient.detectApiVersion}). */
  apiVersion: PanelApiVersion | 'auto';
  /** Bound on each HTTP exchange, in milliseconds. */
  timeoutMs: number;
  /** Injectable fetch (default: the global one). */
  fetch?: typeof globalThis.fetch | undefined;
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
   * Detects the generation: v3 when the authenticated `GET {base}/panel/api/openapi.json`
   * answers 200 with JSON, else v2. The result is kept for later calls.
   * @throws PanelAuthError (login failed, or an API token on a panel that rejects it), PanelUnavailableError
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
}

/**
 * Creates a client for one panel. No I/O happens until the first call.
 */
export function createPanelClient(options: PanelClientOptions): PanelClient {
  const http = createPanelHttp({
    baseUrl: options.baseUrl,
    webBasePath: options.webBasePath,
    username: options.username,
    password: options.password,
    apiToken: options.apiToken,
    timeoutMs: options.timeoutMs,
    csrf: options.apiVersion === 'v2' ? 'never' : options.apiVersion === 'v3' ? 'always' : 'auto',
    fetch: options.fetch,
    logger: options.logger,
  });
  const v2 = createV2Ops(http);
  const v3 = createV3Ops(http);
  let known: Promise<PanelApiVersion> | undefined =
    options.apiVersion === 'auto' ? undefined : Promise.resolve(options.apiVersion);

  async function detectApiVersion(): Promise<PanelApiVersion> {
    const route = '/panel/api/openapi.json';
    const response = await http.requestRaw({ method: 'GET', route });
    let version: PanelApiVersion;
    if (response.status === 200 && isJson(response.text)) version = 'v3';
    else if (response.status === 408 || response.status === 429 || response.status >= 500) {
      throw new PanelUnavailableError(`GET ${route}: HTTP ${response.status}`, { reason: 'http-status', status: response.status });
    } else if (http.authMode === 'bearer') {
      throw new PanelAuthError(`GET ${route}: HTTP ${response.status} to the API token (token rejected, or not a v3 panel)`);
    } else version = response.status === 401 ? 'v3' : 'v2';
    known = Promise.resolve(version);
    options.logger?.debug({ apiVersion: version }, 'panel API generation detected');
    return version;
  }

  function apiVersion(): Promise<PanelApiVersion> {
    known ??= detectApiVersion().catch((error: unknown) => {
      known = undefined;
      throw error;
    });
    return known;
  }

  const ops = async (): Promise<PanelOps> => ((await apiVersion()) === 'v3' ? v3 : v2);

  return {
    detectApiVersion,
    apiVersion,
    async probe() {
      const started = performance.now();
      const version = await apiVersion();
      const inbounds = await (version === 'v3' ? v3 : v2).listInbounds();
      return { latencyMs: Math.round(performance.now() - started), apiVersion: version, inboundCount: inbounds.length };
    },
    listInbounds: async () => (await ops()).listInbounds(),
    getInbound: async (id) => (await ops()).getInbound(id),
    addClient: async (inboundId, client) => (await ops()).addClient(inboundId, client),
    updateClient: async (inboundId, client) => (await ops()).updateClient(inboundId, client),
    deleteClient: async (inboundId, email) => (await ops()).deleteClient(inboundId, email),
    getClientTraffic: async (email) => (await ops()).getClientTraffic(email),
    resetClientTraffic: async (inboundId, email) => (await ops()).resetClientTraffic(inboundId, email),
    findClient: async (inboundId, email) => (await ops()).findClient(inboundId, email),
    getClientLinks: async (email) => (await ops()).getClientLinks(email),
  };
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
