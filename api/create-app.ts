import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from '../lib/logger';
import { runReadinessChecks, type ReadinessCheck } from './readiness';

/** Dependencies of the api. */
export interface AppDeps {
  logger: Logger;
  /** Named checks behind /readyz (postgres, temporal). */
  readinessChecks: Record<string, ReadinessCheck>;
  /** Per-check timeout for /readyz, in milliseconds; default 2 000. */
  readinessTimeoutMs?: number;
}

/**
 * Builds the fastify app (not listening): `/healthz` says the process is up, `/readyz` says
 * its dependencies answer (503 with the failing check names otherwise).
 */
export function createApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger, bodyLimit: 64 * 1024 });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const report = await runReadinessChecks(deps.readinessChecks, deps.readinessTimeoutMs ?? 2_000);
    return reply.code(report.ready ? 200 : 503).send(report);
  });
  return app;
}
