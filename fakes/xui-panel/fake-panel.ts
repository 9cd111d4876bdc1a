/**
 * `startFakePanel`: a 3X-UI panel stand-in (v2 or v3 API) on 127.0.0.1 for tests and local dev.
 * Behaves like the real panel for every call the product's panel client makes: login sets the
 * `3x-ui` cookie, unauthenticated API calls get 404 (v3: 401 when `X-Requested-With:
 * XMLHttpRequest`), refusals are `success:false` with HTTP 200, v3 accepts a bearer token and
 * checks CSRF on cookie-session mutations (see fake-panel-auth.ts). Controls inject outages,
 * latency, session expiry and one-off failures.
 */
import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { createFakeAuth, type AuthKind } from './fake-panel-auth';
import { registerCommonRoutes, type FakeContext } from './fake-panel-routes';
import { registerV2ClientRoutes } from './fake-panel-routes-v2';
import { registerV3ClientRoutes } from './fake-panel-routes-v3';
import { createFakePanelState, fail, type FakePanelState } from './fake-panel-state';
import { realityTcpInbound, type StoredInbound } from './seed-inbounds';

/** Options for {@link startFakePanel}. */
export interface FakePanelOptions {
  version: 'v2' | 'v3';
  /** Web base path, e.g. '/secret'; default none. */
  webBasePath?: string;
  username: string;
  password: string;
  /** v3 only: accepted as `Authorization: Bearer <token>`. */
  apiToken?: string;
  /** Session lifetime in milliseconds; default 1 hour. */
  sessionTtlMs?: number;
  /** Delay added to every request, in milliseconds; default 0. */
  latencyMs?: number;
  /** Host put into v3 client links; default the request's host name. */
  host?: string;
  /** Initial inbounds; default one VLESS reality inbound (id 1, port 443). */
  inbounds?: StoredInbound[];
  /** TCP port; default 0 (any free port). */
  port?: number;
  /** Serve HTTPS with this key and certificate chain (PEM), e.g. from makeTestCertificates; default plain HTTP. */
  https?: { key: string; cert: string };
  /** v3 only: whether `/panel/api/openapi.json` is served (a panel built without its frontend does not); default true. */
  openApi?: boolean;
  /**
   * v2 only: how long each client write (add, update, delete) takes, in milliseconds; default 0. A write
   * arriving while another runs is answered HTTP 500 with an empty body and not applied, as a
   * real v2.9.4 panel answers concurrent `addClient` calls on one inbound.
   */
  writeMs?: number;
  /**
   * Called after each answered API write (any non-GET `/panel/...` request), before the next
   * request is served; main.ts saves the inbounds here so a restarted panel keeps its clients,
   * as a real panel keeps them in its database.
   */
  onMutation?: (state: FakePanelState) => void;
}

/**
 * A one-off failure of the next API calls. `lost` applies the call, then drops the connection;
 * `500-applied` applies it, then answers HTTP 500 with an empty body.
 */
export type FailureKind = '500' | 'timeout' | 'reject' | 'lost' | '500-applied';

/** A request the fake received. */
export interface RecordedCall {
  method: string;
  /** Path after the web base path, without the query. */
  path: string;
  auth: AuthKind;
  /** HTTP status; 0 when the connection was dropped or left hanging. */
  status: number;
}

/** Test controls of a running fake. */
export interface FakePanelControls {
  /** While down, every connection is closed without an answer ('reset') or answered 503. */
  setDown(down: boolean, mode?: 'reset' | '503'): void;
  /** Delay for every request, in milliseconds. */
  setLatency(ms: number): void;
  /** Ends every session, as an expired cookie or a panel restart would. */
  expireSessions(): void;
  /** The next `n` authenticated API calls fail as `kind`. */
  failNext(n: number, kind: FailureKind): void;
  /** Requests received so far (cleared by `calls.length = 0`). */
  calls: RecordedCall[];
}

/** A running fake panel. */
export interface FakePanel {
  /** `http://127.0.0.1:<port>` (`https://` when serving HTTPS; no base path). */
  url: string;
  webBasePath: string;
  state: FakePanelState;
  controls: FakePanelControls;
  close(): Promise<void>;
}

/**
 * Starts a fake panel on 127.0.0.1.
 * @throws when the port cannot be bound
 */
export async function startFakePanel(options: FakePanelOptions): Promise<FakePanel> {
  const trimmed = (options.webBasePath ?? '').replace(/^\/+|\/+$/g, '');
  const prefix = trimmed === '' ? '' : `/${trimmed}`;
  const state = createFakePanelState(options.inbounds ?? [realityTcpInbound()]);
  const auth = createFakeAuth({
    version: options.version,
    apiToken: options.apiToken,
    sessionTtlMs: options.sessionTtlMs ?? 3_600_000,
    cookiePath: `${prefix}/`,
  });
  const ctx: FakeContext = {
    version: options.version,
    state,
    auth,
    username: options.username,
    password: options.password,
    host: options.host,
    openApi: options.openApi ?? true,
    writeMs: options.writeMs ?? 0,
    writing: 0,
  };
  let down: false | 'reset' | '503' = false;
  let latencyMs = options.latencyMs ?? 0;
  const failures: FailureKind[] = [];
  const calls: RecordedCall[] = [];
  const hanging = new Set<Socket>();

  const app = (options.https
    ? Fastify({ logger: false, forceCloseConnections: true, https: options.https })
    : Fastify({ logger: false, forceCloseConnections: true })) as unknown as FastifyInstance;
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  app.setErrorHandler(async (error, _request, reply) => {
    const { statusCode = 500, message = '' } = error as { statusCode?: number; message?: string };
    if (statusCode >= 400 && statusCode < 500) return reply.code(200).send(fail(`Something went wrong (${message})`));
    return reply.code(500).send('Internal Server Error');
  });

  const drop = (socket: Socket) => socket.destroy();

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const call: RecordedCall = {
      method: request.method,
      path: path.startsWith(prefix) ? path.slice(prefix.length) : path,
      auth: auth.authKind(request),
      status: 0,
    };
    calls.push(call);
    (request as { fakeCall?: RecordedCall }).fakeCall = call;
    if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
    if (down === 'reset') {
      reply.hijack();
      drop(request.raw.socket);
      return;
    }
    if (down === '503') return reply.code(503).type('text/html').send('<html><body>503 Service Unavailable</body></html>');
  });

  app.addHook('preHandler', async (request, reply) => {
    const call = (request as { fakeCall?: RecordedCall }).fakeCall;
    if (!call?.path.startsWith('/panel/api/')) return;
    if (call.auth === 'none') {
      const ajax = request.headers['x-requested-with'] === 'XMLHttpRequest';
      return reply.code(options.version === 'v3' && ajax ? 401 : 404).send();
    }
    if (
      options.version === 'v3' &&
      call.auth === 'cookie' &&
      request.method !== 'GET' &&
      !auth.csrfValid(request, auth.sessionOf(request))
    ) {
      return reply.code(403).send();
    }
    const failure = failures.shift();
    if (failure === '500') return reply.code(500).type('text/plain').send('Internal Server Error');
    if (failure === 'reject') return reply.send(fail('Something went wrong (injected refusal)'));
    if (failure === 'timeout') {
      reply.hijack();
      hanging.add(request.raw.socket);
      request.raw.socket.once('close', () => hanging.delete(request.raw.socket));
      return;
    }
    if (failure === 'lost') (request as { fakeLost?: boolean }).fakeLost = true;
    if (failure === '500-applied') (request as { fake500?: boolean }).fake500 = true;
  });

  app.addHook('onSend', async (request, reply, payload) => {
    if ((request as { fakeLost?: boolean }).fakeLost) drop(request.raw.socket);
    if ((request as { fake500?: boolean }).fake500) {
      reply.code(500).removeHeader('content-type');
      return '';
    }
    return payload;
  });

  app.addHook('onResponse', async (request, reply) => {
    const call = (request as { fakeCall?: RecordedCall }).fakeCall;
    if (call && !(request as { fakeLost?: boolean }).fakeLost) call.status = reply.statusCode;
    if (call && request.method !== 'GET' && call.path.startsWith('/panel/')) options.onMutation?.(state);
  });

  await app.register(
    async (scoped) => {
      registerCommonRoutes(scoped, ctx);
      if (options.version === 'v2') registerV2ClientRoutes(scoped, ctx);
      else registerV3ClientRoutes(scoped, ctx);
    },
    { prefix },
  );

  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  return {
    url: `${options.https ? 'https' : 'http'}://127.0.0.1:${port}`,
    webBasePath: prefix,
    state,
    controls: {
      setDown(value, mode = 'reset') {
        down = value ? mode : false;
      },
      setLatency(ms) {
        latencyMs = ms;
      },
      expireSessions: () => auth.expireAll(),
      failNext(n, kind) {
        for (let i = 0; i < n; i += 1) failures.push(kind);
      },
      calls,
    },
    async close() {
      for (const socket of hanging) socket.destroy();
      await app.close();
    },
  };
}
