import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** Options for {@link startOpsServer}. */
export interface OpsServerOptions {
  /** TCP port (0 = a free one). */
  port: number;
  /** Listen address; default 0.0.0.0 (the container network; never published). */
  host?: string;
  /** Metrics served at GET /metrics in the Prometheus text format. */
  registry: Registry;
  /** Answers GET /healthz: 200 when true, 503 otherwise (docker compose healthchecks). */
  healthy: () => boolean | Promise<boolean>;
}

/** A running operations endpoint. */
export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The operations endpoint of a process, apart from any public port: `/metrics` for Prometheus
 * and `/healthz` for the container healthcheck. Nothing else; no request body is read.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const server = http.createServer((request, response) => {
    void (async () => {
      try {
        if (request.method === 'GET' && request.url === '/metrics') {
          const body = await options.registry.metrics();
          response.writeHead(200, { 'content-type': options.registry.contentType }).end(body);
        } else if (request.method === 'GET' && request.url === '/healthz') {
          const ok = await options.healthy();
          response
            .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
            .end(JSON.stringify({ status: ok ? 'ok' : 'unhealthy' }));
        } else {
          response.writeHead(404).end();
        }
      } catch {
        response.writeHead(500).end();
      }
    })();
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
