/**
 * Payments in `npm run dev`: whether a real provider is configured, and, when none is, the
 * environment that runs the local sandbox provider (fakes/sandbox/main.ts) and points the
 * worker, the api and the bot at it.
 */

/** Default port of the sandbox checkout in dev. */
export const DEV_SANDBOX_PORT = 8090;

/** Real providers whose credentials are set in `env` (YooKassa needs both shop id and key). */
export function configuredRealProviders(env: Readonly<Record<string, string | undefined>>): Array<'yookassa' | 'cryptopay'> {
  const set = (name: string) => (env[name] ?? '') !== '';
  const real: Array<'yookassa' | 'cryptopay'> = [];
  if (set('YOOKASSA_SHOP_ID') && set('YOOKASSA_SECRET_KEY')) real.push('yookassa');
  if (set('CRYPTOPAY_TOKEN')) real.push('cryptopay');
  return real;
}

/** True when at least one real payment provider is configured (then dev runs no sandbox). */
export function hasRealPaymentProvider(env: Readonly<Record<string, string | undefined>>): boolean {
  return configuredRealProviders(env).length > 0;
}

/** What the launcher needs to run the sandbox. */
export interface DevSandboxEnv {
  /** Environment of the sandbox process (`fakes/sandbox/main.ts`). */
  sandbox: Record<string, string>;
  /** Variables to add to the worker's, the api's and the bot's environment. */
  services: Record<string, string>;
  /** Base URL of the sandbox (its checkout pages and API). */
  url: string;
}

/**
 * The sandbox's environment: it listens on 127.0.0.1:`port` and posts webhooks to the api's
 * `/webhooks/sandbox`; the services get SANDBOX_PAY_URL and the shared secret.
 * @param options.secret default SANDBOX_PAY_SECRET from `env`, else 'sandbox-dev-secret'
 */
export function devSandboxEnv(options: {
  env: Readonly<Record<string, string | undefined>>;
  apiPort: number;
  port?: number;
}): DevSandboxEnv {
  const port = options.port ?? DEV_SANDBOX_PORT;
  const secret = options.env['SANDBOX_PAY_SECRET'] || 'sandbox-dev-secret';
  const url = `http://127.0.0.1:${port}`;
  return {
    sandbox: {
      SANDBOX_PAY_PORT: String(port),
      SANDBOX_PAY_SECRET: secret,
      SANDBOX_PAY_WEBHOOK_URL: `http://127.0.0.1:${options.apiPort}/webhooks/sandbox`,
    },
    services: { SANDBOX_PAY_URL: url, SANDBOX_PAY_SECRET: secret },
    url,
  };
}
