import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deriveClientIdentity } from './derive-client-identity';

const SALT = 'server-secret-salt-0001';

describe('deriveClientIdentity', () => {
  it('is deterministic and has the documented shapes', () => {
    const a = deriveClientIdentity(42, SALT);
    assert.deepEqual(a, deriveClientIdentity('42', SALT));
    assert.match(a.email, /^sub-42-[0-9a-f]{8}$/);
    assert.match(a.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.match(a.subId, /^[0-9a-f]{16}$/);
  });

  it('differs per subscription and per salt', () => {
    const a = deriveClientIdentity(42, SALT);
    const b = deriveClientIdentity(43, SALT);
    const c = deriveClientIdentity(42, `${SALT}x`);
    for (const key of ['email', 'uuid', 'subId'] as const) {
      assert.notEqual(a[key], b[key]);
      assert.notEqual(a[key], c[key]);
    }
  });

  it('keeps a known vector stable (changing it would orphan every panel client)', () => {
    // Computed independently with Python's hmac module.
    assert.deepEqual(deriveClientIdentity(1, 'fixed-salt-for-tests'), {
      email: 'sub-1-7b88e0f8',
      uuid: 'dd8d63e3-ef8d-553e-b976-df5caae50ae2',
      subId: '06f5ca172efcb617',
    });
  });

  it('rejects unsafe ids and short salts', () => {
    for (const bad of ['', 'a b', 'a/b', 'ü', 'x'.repeat(65)]) assert.throws(() => deriveClientIdentity(bad, SALT), RangeError, bad);
    assert.throws(() => deriveClientIdentity(1, 'short'), RangeError);
  });
});
