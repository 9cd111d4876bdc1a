import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { parseConfig } from '../config/parse-config';
import { createPaymentProviders, paymentFields } from './payments-config';

const schema = z.object(paymentFields);

describe('payment configuration', () => {
  it('defaults to no real provider, the published YooKassa IPs and disabled Stars', () => {
    const config = parseConfig(schema, {});
    assert.equal(config.YOOKASSA_WEBHOOK_IPS.length, 7);
    assert.equal(config.STARS_KOPECKS_PER_STAR, 'disabled');
    assert.equal(createPaymentProviders(config).forMethod('card'), undefined);
  });

  it('routes card/SBP to YooKassa and crypto to Crypto Pay, with the sandbox as the fallback', () => {
    const sandboxOnly = createPaymentProviders(parseConfig(schema, { SANDBOX_PAY_URL: 'http://127.0.0.1:8090' }));
    assert.equal(sandboxOnly.forMethod('sbp')?.name, 'sandbox');
    assert.equal(sandboxOnly.forMethod('crypto')?.name, 'sandbox');
    const real = createPaymentProviders(
      parseConfig(schema, {
        YOOKASSA_SHOP_ID: '1',
        YOOKASSA_SECRET_KEY: 'test_x',
        CRYPTOPAY_TOKEN: 't',
        SANDBOX_PAY_URL: 'http://127.0.0.1:8090',
        STARS_KOPECKS_PER_STAR: '180',
      }),
    );
    assert.deepEqual(
      [real.forMethod('card')?.name, real.forMethod('sbp')?.name, real.forMethod('crypto')?.name],
      ['yookassa', 'yookassa', 'cryptopay'],
    );
    assert.throws(() => createPaymentProviders(parseConfig(schema, { YOOKASSA_SHOP_ID: '1' })), RangeError);
  });

  it('refuses a malformed allowlist without echoing it', () => {
    assert.throws(
      () => parseConfig(schema, { YOOKASSA_WEBHOOK_IPS: '10.0.0.0/8, nonsense' }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'CONFIG_INVALID');
        assert.doesNotMatch(error.message, /nonsense/);
        return true;
      },
    );
  });
});
