/**
 * A child process for kill tests: the api's webhook app (api/create-app.ts, its dispatcher
 * included) on a free loopback port over `DATABASE_URL`, with the sandbox provider keyed by
 * `SANDBOX_PAY_SECRET`, whose verdict hand-off never completes: it prints `SIGNALLING <paymentId>`
 * and waits, as a process killed between claiming an event and its signal leaving. Prints
 * `LISTENING <port>` once it takes requests.
 */
import { createApp } from '../../api/create-app';
import { createDbPool } from '../../lib/db/create-pool';
import { createLogger } from '../../lib/logger';
import type { PaymentProviders } from '../../lib/payments/payments-config';
import { createSandboxProvider } from '../../lib/payments/sandbox';

const databaseUrl = process.env['DATABASE_URL'];
const secret = process.env['SANDBOX_PAY_SECRET'];
if (databaseUrl === undefined || secret === undefined) throw new Error('DATABASE_URL and SANDBOX_PAY_SECRET are required');
const sandbox = createSandboxProvider({ baseUrl: 'http://127.0.0.1:1', secret });
const providers: PaymentProviders = { byName: { sandbox }, forMethod: () => sandbox };
const db = await createDbPool(databaseUrl, { resetOnRelease: false });
const app = createApp({
  logger: createLogger({ level: 'silent' }),
  readinessChecks: {},
  webhooks: {
    db,
    providers,
    signalVerdict: async (payment) => {
      process.stdout.write(`SIGNALLING ${payment.id}\n`);
      await new Promise(() => undefined);
    },
  },
});
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
process.stdout.write(`LISTENING ${typeof address === 'object' && address !== null ? address.port : 0}\n`);
