/**
 * A `fetch` for HTTPS panels with a self-signed certificate: trust a custom CA (PEM), or pin the
 * panel's certificate by its SHA-256 fingerprint (checked after the handshake and before a byte
 * of the request, so credentials never reach another certificate's holder).
 */
import { Buffer } from 'node:buffer';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';

/** How a panel's certificate is trusted besides the system CAs. */
export interface PanelTlsOptions {
  /** PEM certificate(s) of the CA that signed the panel's certificate (replaces the system CAs). */
  caPem?: string | null | undefined;
  /**
   * SHA-256 fingerprint of the panel's own certificate (DER), hex with or without colons, e.g.
   * from `openssl x509 -noout -fingerprint -sha256`. Any certificate with this fingerprint is
   * accepted, whoever signed it and whatever names it carries; every other one is refused.
   */
  pinSha256?: string | null | undefined;
}

/** Error code of a certificate that does not match the pinned fingerprint. */
export const PIN_MISMATCH = 'ERR_PANEL_CERT_PIN_MISMATCH';

/** Normalises a fingerprint to upper-case hex pairs joined by ':' (Node's `fingerprint256` form). @throws RangeError when malformed */
export function normalizeFingerprint(value: string): string {
  const hex = value.replace(/[:\s]/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) throw new RangeError('a SHA-256 fingerprint is 64 hex digits');
  return hex.match(/../g)?.join(':') ?? hex;
}

/** True when `options` asks for anything besides the system CAs. */
export function hasPanelTls(options: PanelTlsOptions | undefined): options is PanelTlsOptions {
  return Boolean(options?.caPem) || Boolean(options?.pinSha256);
}

/**
 * A fetch (the subset the panel client uses: method, headers, string body, signal; answers are
 * read whole) over node:https with the given trust. Plain `http:` URLs go to the global fetch.
 * @throws RangeError when the fingerprint is malformed
 */
export function createPanelTlsFetch(options: PanelTlsOptions): typeof globalThis.fetch {
  const pin = options.pinSha256 ? normalizeFingerprint(options.pinSha256) : undefined;
  const agent = pin === undefined ? new https.Agent({ keepAlive: true, ca: options.caPem ?? undefined }) : pinnedAgent(pin);

  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.protocol !== 'https:') return globalThis.fetch(input, init);
    const headers = new Headers(init?.headers);
    const body = typeof init?.body === 'string' ? init.body : undefined;
    return new Promise<Response>((resolve, reject) => {
      const request = https.request(
        url,
        { method: init?.method ?? 'GET', headers: Object.fromEntries(headers), agent, signal: init?.signal ?? undefined },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const answer = new Headers();
            for (const [name, value] of Object.entries(response.headers)) {
              for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) answer.append(name, one);
            }
            const status = response.statusCode ?? 502;
            const noBody = status === 204 || status === 304;
            resolve(new Response(noBody ? null : Buffer.concat(chunks), { status, headers: answer }));
          });
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  };
}

/** An agent whose connections are checked against the pinned fingerprint before use. */
function pinnedAgent(pin: string): https.Agent {
  const agent = new https.Agent({ keepAlive: true });
  agent.createConnection = (connectOptions, callback) => {
    const socket = tls.connect({ ...(connectOptions as tls.ConnectionOptions), rejectUnauthorized: false });
    const callbackOnce = callback as ((error: Error | null, stream: Duplex) => void) | undefined;
    let called = false;
    const done = (error: Error | null, stream: Duplex) => {
      if (called) return;
      called = true;
      callbackOnce?.(error, stream);
    };
    socket.once('error', (error) => done(error, socket));
    socket.once('secureConnect', () => {
      const seen = socket.getPeerCertificate().fingerprint256;
      if (seen === pin) {
        done(null, socket);
        return;
      }
      const error = Object.assign(new Error(`the panel's certificate (SHA-256 ${seen}) is not the pinned one`), { code: PIN_MISMATCH });
      socket.destroy();
      done(error, socket);
    });
    return undefined;
  };
  return agent;
}
