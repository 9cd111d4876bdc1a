import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configuredRealProviders, devSandboxEnv, hasRealPaymentProvider } from './dev-payments';

describe('dev payments', () => {
  it('sees a real provider only when its credentials are complete', () => {
    assert.equal(hasRealPaymentProvider({}), false);
    assert.equal(hasRealPaymentProvider({ YOOKASSA_SHOP_ID: '1' }), false);
    assert.equal(hasRealPaymentProvider({ YOOKASSA_SHOP_ID: '1', YOOKASSA_SECRET_KEY: '' }), false);
    assert.deepEqual(configuredRealProviders({ YOOKASSA_SHOP_ID: '1', YOOKASSA_SECRET_KEY: 'k' }), ['yookassa']);
    assert.deepEqual(configuredRealProviders({ CRYPTOPAY_TOKEN: 't', YOOKASSA_SHOP_ID: '1', YOOKASSA_SECRET_KEY: 'k' }), [
      'yookassa',
      'cryptopay',
    ]);
  });

  it('points the sandbox webhooks at the api and the services at the sandbox', () => {
    const env = devSandboxEnv({ env: {}, apiPort: 3000 });
    assert.equal(env.sandbox.SANDBOX_PAY_WEBHOOK_URL, 'http://127.0.0.1:3000/webhooks/sandbox');
    assert.equal(env.services.SANDBOX_PAY_URL, 'http://127.0.0.1:8090');
    assert.equal(env.services.SANDBOX_PAY_SECRET, env.sandbox.SANDBOX_PAY_SECRET);
    assert.equal(devSandboxEnv({ env: { SANDBOX_PAY_SECRET: 'other-secret' }, apiPort: 1, port: 9 }).url, 'http://127.0.0.1:9');
  });
});
