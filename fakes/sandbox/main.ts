/**
 * Runs the sandbox payment provider for local development (`npm run dev` when no real provider is
 * configured). Dev-only values, so printing them is fine.
 *
 * Environment (all optional): SANDBOX_PAY_PORT (default 8090), SANDBOX_PAY_SECRET (default
 * 'sandbox-dev-secret'), SANDBOX_PAY_WEBHOOK_URL (default http://127.0.0.1:3000/webhooks/sandbox),
 * SANDBOX_PAY_PUBLIC_URL (default the bound address).
 */
import { startSandboxCheckout } from './sandbox-server';

const env = process.env;
const secret = env['SANDBOX_PAY_SECRET'] ?? 'sandbox-dev-secret';
const webhookUrl = env['SANDBOX_PAY_WEBHOOK_URL'] ?? 'http://127.0.0.1:3000/webhooks/sandbox';
const publicUrl = env['SANDBOX_PAY_PUBLIC_URL'];

const sandbox = await startSandboxCheckout({
  secret,
  webhookUrl,
  port: Number(env['SANDBOX_PAY_PORT'] ?? 8090),
  ...(publicUrl ? { publicUrl } : {}),
});

console.log(`sandbox payments at ${sandbox.url} (webhooks to ${webhookUrl}, secret=${secret})`);

const stop = () => {
  void sandbox.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
