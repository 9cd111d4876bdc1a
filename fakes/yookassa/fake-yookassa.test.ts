import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startFakeYooKassa, type FakeYooKassa } from './fake-yookassa';

const fakes: FakeYooKassa[] = [];
after(() => Promise.all(fakes.map((fake) => fake.close())));

const auth = `Basic ${Buffer.from('100:test_key').toString('base64')}`;
const body = {
  amount: { value: '10.00', currency: 'RUB' },
  capture: true,
  confirmation: { type: 'redirect', return_url: 'https://example.com' },
};

async function post(fake: FakeYooKassa, path: string, json: unknown, headers: Record<string, string>) {
  const response = await fetch(`${fake.apiUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(json),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

describe('fake YooKassa (raw HTTP)', () => {
  it('answers 401 invalid_credentials, 400 without Idempotence-Key, and SBP needs capture:true', async () => {
    const fake = await startFakeYooKassa({ shopId: '100', secretKey: 'test_key' });
    fakes.push(fake);
    const anonymous = await post(fake, '/payments', body, {});
    assert.deepEqual([anonymous.status, anonymous.json['type'], anonymous.json['code']], [401, 'error', 'invalid_credentials']);
    const keyless = await post(fake, '/payments', body, { authorization: auth });
    assert.deepEqual([keyless.status, keyless.json['parameter']], [400, 'Idempotence-Key']);
    const twoStageSbp = await post(
      fake,
      '/payments',
      { ...body, capture: false, payment_method_data: { type: 'sbp' } },
      { authorization: auth, 'idempotence-key': 'a' },
    );
    assert.deepEqual([twoStageSbp.status, twoStageSbp.json['parameter']], [400, 'capture']);
    const created = await post(fake, '/payments', body, { authorization: auth, 'idempotence-key': 'b' });
    assert.deepEqual([created.status, created.json['status'], created.json['paid'], created.json['test']], [200, 'pending', false, true]);
  });

  it('refuses pay() on a payment that is not pending', async () => {
    const fake = await startFakeYooKassa({ shopId: '100', secretKey: 'test_key' });
    fakes.push(fake);
    const created = await post(fake, '/payments', body, { authorization: auth, 'idempotence-key': 'c' });
    const id = String(created.json['id']);
    fake.controls.pay(id);
    assert.throws(() => fake.controls.pay(id), Error);
    assert.throws(() => fake.controls.cancel(id), Error);
    assert.deepEqual(fake.state.payments.get(id)?.income_amount, { value: '9.65', currency: 'RUB' });
  });
});
