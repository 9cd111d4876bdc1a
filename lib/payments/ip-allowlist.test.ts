import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createIpAllowlist } from './ip-allowlist';
import { YOOKASSA_WEBHOOK_IPS } from './yookassa/yookassa-provider';

describe('createIpAllowlist', () => {
  const list = createIpAllowlist(YOOKASSA_WEBHOOK_IPS);

  it('matches the published YooKassa ranges at their edges, IPv4-mapped IPv6 and IPv6', () => {
    const allowed = [
      '185.71.76.0',
      '185.71.76.31',
      '185.71.77.5',
      '77.75.153.127',
      '77.75.156.11',
      '77.75.156.35',
      '77.75.154.128',
      '77.75.154.255',
      '::ffff:185.71.76.1',
      '2a02:5180::1',
      '2a02:5180:ffff::1',
    ];
    const refused = [
      '185.71.76.32',
      '185.71.75.255',
      '77.75.153.128',
      '77.75.156.12',
      '77.75.154.127',
      '2a02:5181::1',
      '127.0.0.1',
      '::1',
      '::ffff:127.0.0.1',
      '',
      'localhost',
      '185.71.76.1:443',
      '[2a02:5180::1]',
    ];
    for (const ip of allowed) assert.equal(list.allows(ip), true, ip);
    for (const ip of refused) assert.equal(list.allows(ip), false, ip);
  });

  it('refuses malformed entries', () => {
    for (const bad of ['10.0.0.0/33', '10.0.0.0/', 'example.com', '10.0.0.0/8/1', '2a02::/129', '10.0.0.0/x']) {
      assert.throws(() => createIpAllowlist([bad]), RangeError, bad);
    }
    assert.equal(createIpAllowlist([]).allows('10.0.0.1'), false);
  });
});
