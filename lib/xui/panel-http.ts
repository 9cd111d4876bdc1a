/**
 * The HTTP layer of the panel client: base URL and web base path, bounded timeouts, bearer-token
 * or cookie-session authentication (with the v3 CSRF token), one re-login on session expiry, and
 * the mapping of every failure onto the typed panel errors. Knows nothing about operations.
 */
import { envelopeSchema, type PanelEnvelope } from './panel-schemas';
import { PanelAuthError, PanelNotFoundError, PanelRejectedError, PanelUnavailableError } from './panel-errors';

/** The two panel API generations. */
export type PanelApiVersion = 'v2' | 'v3';

/** The subset of a pino logger the panel client uses. Never given secrets. */
export interface PanelLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Options for {@link createPanelHttp}. */
export interface PanelHttpOptions {
  /** `scheme://host:port` of the panel, no path. */
  baseUrl: string;
  /** The panel's web base path, e.g. `/secret` (leading/trailing slashes optional); '' for none. */
  webBasePath: string;
  username: string;
  password: string;
  /** v3 API token, sent as `Authorization: Bearer`; when set no cookie login happens. */
  apiToken?: string | undefined;
  /** Bound on each HTTP exchange (headers and body), in milliseconds. */
  timeoutMs: number;
  /** Whether cookie logins first fetch a CSRF token: never (v2), always (v3), or when `/csrf-token` answers. */
  csrf: 'never' | 'always' | 'auto';
  fetch?: typeof globalThis.fetch | undefined;
  logger?: PanelLogger | undefined;
}

/** One API call. `route` starts with '/' and excludes the web base path. */
export interface PanelRequest {
  method: 'GET' | 'POST';
  route: string;
  json?: unknown;
}

/** A raw answer. */
export interface PanelRawResponse {
  status: number;
  contentType: string;
  text: string;
}

/** What {@link createPanelHttp} returns. */
export interface PanelHttp {
  readonly authMode: 'bearer' | 'cookie';
  /**
   * Sends an authenticated API call and returns its successful envelope. In cookie mode logs in
   * first when needed, and on 401/404 (expired session) logs in again and retries once; on 403 to
   * a mutation (stale CSRF token) refreshes the token and retries once.
   * @throws PanelUnavailableError, PanelRejectedError (success:false), PanelAuthError, PanelNotFoundError
   */
  request(request: PanelRequest): Promise<PanelEnvelope>;
  /**
   * Sends one authenticated call without retries or status mapping (used to probe routes).
   * @throws PanelUnavailableError on network failures and timeouts; login errors in cookie mode
   */
  requestRaw(request: PanelRequest): Promise<PanelRawResponse>;
  /**
   * Logs in with username and password (cookie mode), replacing any session.
   * @throws PanelAuthError, PanelNotFoundError (no login route at this base path), PanelUnavailableError
   */
  login(): Promise<void>;
}

const COOKIE_NAME = '3x-ui';

/** Joins the base URL and the web base path: `https://h:2053` + `/secret/` -> `https://h:2053/secret`. */
export function panelRoot(baseUrl: string, webBasePath: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  const trimmed = webBasePath.trim().replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? base : `${base}/${trimmed}`;
}

/**
 * Creates the HTTP layer for one panel. Holds the session cookie and CSRF token in memory only.
 */
export function createPanelHttp(options: PanelHttpOptions): PanelHttp {
  const doFetch = options.fetch ?? globalThis.fetch;
  const root = panelRoot(options.baseUrl, options.webBasePath);
  const authMode = options.apiToken ? 'bearer' : 'cookie';
  let cookie: string | undefined;
  let csrfToken: string | undefined;
  let sessionEpoch = 0;
  let loginInFlight: Promise<void> | undefined;

  async function send(request: PanelRequest, authenticated: boolean): Promise<PanelRawResponse> {
    const headers: Record<string, string> = {
      accept: 'application/json',
      'x-requested-with': 'XMLHttpRequest',
    };
    if (authenticated && options.apiToken) headers['authorization'] = `Bearer ${options.apiToken}`;
    if (authMode === 'cookie' && cookie !== undefined) headers['cookie'] = `${COOKIE_NAME}=${cookie}`;
    if (authMode === 'cookie' && csrfToken !== undefined && request.method !== 'GET') headers['x-csrf-token'] = csrfToken;
    let body: string | undefined;
    if (request.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(request.json);
    }
    const started = performance.now();
    try {
      const response = await doFetch(root + request.route, {
        method: request.method,
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      const text = await response.text();
      takeCookie(response.headers);
      options.logger?.debug(
        { method: request.method, route: request.route, status: response.status, ms: Math.round(performance.now() - started) },
        'panel call',
      );
      return { status: response.status, contentType: response.headers.get('content-type') ?? '', text };
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      const cause = networkCause(error);
      options.logger?.warn(
        { method: request.method, route: request.route, ms: Math.round(performance.now() - started), timedOut, cause: cause.code },
        'panel unreachable',
      );
      const where = `${request.method} ${request.route}`;
      if (timedOut)
        throw new PanelUnavailableError(`${where}: no answer within ${options.timeoutMs} ms`, { reason: 'timeout', cause: error });
      throw new PanelUnavailableError(
        cause.tls ? `${where}: TLS certificate refused: ${cause.text}` : `${where}: connection failed: ${cause.text}`,
        { reason: cause.tls ? 'tls' : 'connection', cause: error },
      );
    }
  }

  function takeCookie(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq < 0 || pair.slice(0, eq).trim() !== COOKIE_NAME) continue;
      const value = pair.slice(eq + 1).trim();
      const maxAge = attributes.map((a) => a.trim().toLowerCase()).find((a) => a.startsWith('max-age='));
      const expired = maxAge !== undefined && Number(maxAge.slice('max-age='.length)) <= 0;
      cookie = value === '' || expired ? undefined : value;
    }
  }

  async function fetchCsrf(required: boolean): Promise<void> {
    const response = await send({ method: 'GET', route: '/csrf-token' }, false);
    const token = parseEnvelope(response)?.obj;
    if (response.status === 200 && typeof token === 'string' && token !== '') {
      csrfToken = token;
      return;
    }
    if (!required) return;
    throwForStatus({ method: 'GET', route: '/csrf-token' }, response, 'cookie');
    throw new PanelAuthError('GET /csrf-token: the panel gave no CSRF token');
  }

  async function doLogin(): Promise<void> {
    cookie = undefined;
    csrfToken = undefined;
    if (options.csrf !== 'never') await fetchCsrf(options.csrf === 'always');
    const request: PanelRequest = {
      method: 'POST',
      route: '/login',
      json: { username: options.username, password: options.password, twoFactorCode: '' },
    };
    const response = await send(request, false);
    if (response.status === 404) {
      throw new PanelNotFoundError('POST /login answered 404: check the panel URL and web base path');
    }
    if (response.status === 401 || response.status === 403) {
      throw new PanelAuthError(`POST /login answered HTTP ${response.status} (CSRF or access refused)`);
    }
    if (response.status !== 200) throwForStatus(request, response, 'cookie');
    const envelope = parseEnvelope(response);
    if (envelope === undefined) throw new PanelAuthError('POST /login: the answer is not the panel JSON envelope');
    if (!envelope.success) {
      throw new PanelAuthError('POST /login refused: wrong username or password, 2FA enabled, or too many attempts');
    }
    if (cookie === undefined) throw new PanelAuthError(`POST /login: the panel set no ${COOKIE_NAME} session cookie`);
    sessionEpoch += 1;
  }

  function login(): Promise<void> {
    loginInFlight ??= doLogin().finally(() => {
      loginInFlight = undefined;
    });
    return loginInFlight;
  }

  async function ensureSession(): Promise<void> {
    if (authMode === 'cookie' && cookie === undefined) await login();
  }

  async function request(req: PanelRequest): Promise<PanelEnvelope> {
    await ensureSession();
    const epoch = sessionEpoch;
    let response = await send(req, true);
    if (authMode === 'cookie') {
      if (response.status === 401 || response.status === 404) {
        options.logger?.warn({ route: req.route, status: response.status }, 'panel session expired; logging in again');
        if (epoch === sessionEpoch) await login();
        response = await send(req, true);
      } else if (response.status === 403 && req.method !== 'GET') {
        options.logger?.warn({ route: req.route }, 'panel refused the CSRF token; fetching a new one');
        await fetchCsrf(true);
        response = await send(req, true);
      }
    }
    return interpret(req, response);
  }

  async function requestRaw(req: PanelRequest): Promise<PanelRawResponse> {
    await ensureSession();
    return send(req, true);
  }

  function interpret(req: PanelRequest, response: PanelRawResponse): PanelEnvelope {
    if (response.status < 200 || response.status >= 300) throwForStatus(req, response, authMode);
    const envelope = parseEnvelope(response);
    if (envelope === undefined) {
      throw new PanelRejectedError(`${req.method} ${req.route}: the answer is not the panel JSON envelope`, {
        status: response.status,
      });
    }
    if (!envelope.success) {
      throw new PanelRejectedError(`${req.method} ${req.route} refused by the panel: ${envelope.msg.slice(0, 200)}`, {
        panelMessage: envelope.msg,
        status: response.status,
      });
    }
    return envelope;
  }

  return { authMode, request, requestRaw, login };
}

/**
 * The real cause of a failed connection: fetch wraps it ("fetch failed", cause: the socket or TLS
 * error). `text` is the innermost message with its code, e.g. "self-signed certificate in
 * certificate chain (SELF_SIGNED_CERT_IN_CHAIN)"; `tls` tells certificate problems apart.
 */
export function networkCause(error: unknown): { text: string; code: string | undefined; tls: boolean } {
  let inner: unknown = error;
  for (let depth = 0; depth < 5 && inner instanceof Error && inner.cause !== undefined; depth += 1) inner = inner.cause;
  const rawCode: unknown = inner instanceof Error ? (inner as { code?: unknown }).code : undefined;
  const code = typeof rawCode === 'string' ? rawCode : undefined;
  const message = inner instanceof Error ? inner.message : String(inner);
  const tls = code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ERR_TLS|ERR_SSL|PIN_MISMATCH/.test(code);
  return { text: code === undefined || message.includes(code) ? message : `${message} (${code})`, code, tls };
}

function parseEnvelope(response: PanelRawResponse): PanelEnvelope | undefined {
  let json: unknown;
  try {
    json = JSON.parse(response.text);
  } catch {
    return undefined;
  }
  const parsed = envelopeSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

function throwForStatus(req: PanelRequest, response: PanelRawResponse, authMode: 'bearer' | 'cookie'): never {
  const where = `${req.method} ${req.route}`;
  const { status } = response;
  if (status === 408 || status === 429 || status >= 500) {
    throw new PanelUnavailableError(`${where}: HTTP ${status}`, { reason: 'http-status', status });
  }
  if (authMode === 'bearer' && (status === 401 || status === 403 || status === 404)) {
    throw new PanelAuthError(`${where}: HTTP ${status} to the API token (token rejected, or no such route)`);
  }
  if (status === 401 || status === 403) throw new PanelAuthError(`${where}: HTTP ${status} even after logging in again`);
  if (status === 404) {
    throw new PanelNotFoundError(`${where}: HTTP 404 with a fresh session (wrong web base path or API generation)`, { routeMissing: true });
  }
  throw new PanelRejectedError(`${where}: unexpected HTTP ${status}`, { status });
}
