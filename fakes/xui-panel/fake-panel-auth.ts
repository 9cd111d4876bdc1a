/**
 * Sessions of the fake panel. The real panel keeps its session in a signed cookie named `3x-ui`
 * (gin-contrib/sessions cookie store, Path = web base path); here the cookie holds an opaque id
 * into a server-side map, which behaves the same for a client: the cookie value changes on login
 * (the real one is re-signed), sessions expire, and on v3 the session carries the CSRF token.
 *
 * v3 CSRF, as in internal/web/session/csrf.go and middleware/security.go: `GET {base}/csrf-token`
 * returns `{success:true, obj:<token>}` and stores the token in the (possibly not yet logged-in)
 * session; every non-GET request on a cookie session, including `POST /login`, must send it in
 * the `X-CSRF-Token` header (or a `_csrf` form field) or gets HTTP 403 with an empty body.
 * Bearer-token requests skip the check.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/** One session. */
export interface FakeSession {
  id: string;
  loggedIn: boolean;
  csrf: string | undefined;
  expiresAt: number;
}

/** How a request authenticated. */
export type AuthKind = 'bearer' | 'cookie' | 'none';

/** Options for {@link createFakeAuth}. */
export interface FakeAuthOptions {
  version: 'v2' | 'v3';
  apiToken: string | undefined;
  sessionTtlMs: number;
  cookiePath: string;
}

/** The fake's session store. */
export interface FakeAuth {
  /** The request's live session (logged in or not), or undefined. */
  sessionOf(request: FastifyRequest): FakeSession | undefined;
  /** bearer (v3 token), cookie (logged-in session) or none. */
  authKind(request: FastifyRequest): AuthKind;
  /** Creates a session, copying the CSRF token of `from` (login rotates the id). */
  newSession(loggedIn: boolean, from?: FakeSession): FakeSession;
  /** The Set-Cookie value for a session. */
  setCookie(session: FakeSession): string;
  /** True when the request carries the session's CSRF token. */
  csrfValid(request: FastifyRequest, session: FakeSession | undefined): boolean;
  /** Ends every session (simulates expiry or a panel restart with a new secret). */
  expireAll(): void;
}

const COOKIE_NAME = '3x-ui';

/** Creates the session store. */
export function createFakeAuth(options: FakeAuthOptions): FakeAuth {
  const sessions = new Map<string, FakeSession>();

  const cookieValue = (request: FastifyRequest): string | undefined => {
    for (const part of (request.headers.cookie ?? '').split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === COOKIE_NAME) return part.slice(eq + 1).trim();
    }
    return undefined;
  };

  const auth: FakeAuth = {
    sessionOf(request) {
      const id = cookieValue(request);
      const session = id === undefined ? undefined : sessions.get(id);
      if (session === undefined) return undefined;
      if (Date.now() >= session.expiresAt) {
        sessions.delete(session.id);
        return undefined;
      }
      return session;
    },
    authKind(request) {
      const header = request.headers.authorization ?? '';
      if (options.version === 'v3' && options.apiToken && header === `Bearer ${options.apiToken}`) return 'bearer';
      return auth.sessionOf(request)?.loggedIn ? 'cookie' : 'none';
    },
    newSession(loggedIn, from) {
      if (from) sessions.delete(from.id);
      const session: FakeSession = {
        id: randomBytes(24).toString('base64url'),
        loggedIn,
        csrf: from?.csrf,
        expiresAt: Date.now() + options.sessionTtlMs,
      };
      sessions.set(session.id, session);
      return session;
    },
    setCookie(session) {
      const maxAge = Math.max(1, Math.ceil(options.sessionTtlMs / 1000));
      return `${COOKIE_NAME}=${session.id}; Path=${options.cookiePath}; Max-Age=${maxAge}; HttpOnly; SameSite=Lax`;
    },
    csrfValid(request, session) {
      if (session?.csrf === undefined) return false;
      const header = request.headers['x-csrf-token'];
      const body = request.body as Record<string, unknown> | undefined;
      const sent = typeof header === 'string' && header !== '' ? header : body?.['_csrf'];
      return sent === session.csrf;
    },
    expireAll: () => sessions.clear(),
  };
  return auth;
}

/** A fresh CSRF token (32 random bytes, base64url, as the panel makes them). */
export function newCsrfToken(): string {
  return randomBytes(32).toString('base64url');
}
