/**
 * Routes both fake generations share: login, the v3 CSRF token, inbounds, the v3 OpenAPI
 * document. Registered under the web base path.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { FakeAuth } from './fake-panel-auth';
import { newCsrfToken } from './fake-panel-auth';
import { fail, ok, serializeInbound, type FakePanelState } from './fake-panel-state';

/** What route modules need. */
export interface FakeContext {
  version: 'v2' | 'v3';
  state: FakePanelState;
  auth: FakeAuth;
  username: string;
  password: string;
  /** Host used in v3 client links; default the request's host name. */
  host: string | undefined;
  /** v3: whether openapi.json is served. */
  openApi: boolean;
  /** How long a client write takes; a write overlapping another gets HTTP 500 (see FakePanelOptions.writeMs). */
  writeMs: number;
  /** Client writes running now. */
  writing: number;
}

/**
 * Runs a client write as the real v2 panel does under load: it takes `ctx.writeMs`, and a write
 * arriving while another runs is answered HTTP 500 with an empty body and not applied.
 */
export async function clientWrite<T>(ctx: FakeContext, reply: FastifyReply, write: () => T): Promise<T | FastifyReply> {
  if (ctx.writeMs <= 0) return write();
  if (ctx.writing > 0) return reply.code(500).send('');
  ctx.writing += 1;
  try {
    await new Promise((resolve) => setTimeout(resolve, ctx.writeMs));
    return write();
  } finally {
    ctx.writing -= 1;
  }
}

/** Registers login, csrf-token, server status, inbounds list/get and (v3) openapi.json. */
export function registerCommonRoutes(app: FastifyInstance, ctx: FakeContext): void {
  app.post('/login', async (request, reply) => {
    const session = ctx.auth.sessionOf(request);
    if (ctx.version === 'v3' && !ctx.auth.csrfValid(request, session)) return reply.code(403).send();
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (typeof body['username'] !== 'string' || body['username'] === '') return fail('Please enter username');
    if (typeof body['password'] !== 'string' || body['password'] === '') return fail('Please enter password');
    if (body['username'] !== ctx.username || body['password'] !== ctx.password) return fail('Wrong username or password');
    const next = ctx.auth.newSession(true, session);
    reply.header('set-cookie', ctx.auth.setCookie(next));
    return ok(null, 'Logged in successfully');
  });

  if (ctx.version === 'v3') {
    app.get('/csrf-token', async (request, reply) => {
      const session = ctx.auth.sessionOf(request) ?? ctx.auth.newSession(false);
      session.csrf ??= newCsrfToken();
      reply.header('set-cookie', ctx.auth.setCookie(session));
      return ok(session.csrf);
    });
    if (ctx.openApi) {
      app.get('/panel/api/openapi.json', async () => ({
        openapi: '3.0.3',
        info: { title: '3X-UI Panel API (fake)', version: '3.x' },
        paths: {},
      }));
    }
  }

  // The real status has cpu, memory, disk, network and more; v3 adds panelVersion, v2 has none.
  app.get('/panel/api/server/status', async () =>
    ok({
      cpu: 1.5,
      xray: { state: 'running', errorMsg: '', version: '26.3.27' },
      uptime: 3600,
      ...(ctx.version === 'v3' ? { panelVersion: 'v3.6.0' } : {}),
    }),
  );

  app.get('/panel/api/inbounds/list', async () =>
    ok(ctx.state.inbounds.map((inbound) => serializeInbound(ctx.state, inbound, ctx.version))),
  );

  app.get<{ Params: { id: string } }>('/panel/api/inbounds/get/:id', async (request) => {
    const inbound = ctx.state.findInbound(Number(request.params.id));
    if (!inbound) return fail('Failed to obtain inbound (record not found)');
    return ok(serializeInbound(ctx.state, inbound, ctx.version));
  });
}

/** Parses the `settings` JSON string of a v2 client request; undefined when malformed. */
export function parseClientsSetting(settings: unknown): Record<string, unknown>[] | undefined {
  if (typeof settings !== 'string') return undefined;
  try {
    const parsed = JSON.parse(settings) as { clients?: unknown };
    if (!Array.isArray(parsed.clients)) return undefined;
    const clients = parsed.clients.filter((c): c is Record<string, unknown> => c !== null && typeof c === 'object');
    return clients.length === parsed.clients.length ? clients : undefined;
  } catch {
    return undefined;
  }
}
