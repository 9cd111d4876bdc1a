import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildSubscriptionBody, buildSubscriptionHeaders } from './subscription-response';

describe('buildSubscriptionBody', () => {
  it('base64-encodes every link followed by a newline, as the panel does', () => {
    const body = buildSubscriptionBody(['vless://a@h:443?type=tcp#one', 'vless://b@h:443?type=ws#two']);
    assert.equal(Buffer.from(body, 'base64').toString('utf8'), 'vless://a@h:443?type=tcp#one\nvless://b@h:443?type=ws#two\n');
    assert.equal(body, 'dmxlc3M6Ly9hQGg6NDQzP3R5cGU9dGNwI29uZQp2bGVzczovL2JAaDo0NDM/dHlwZT13cyN0d28K');
    assert.equal(buildSubscriptionBody([]), '');
  });
});

describe('buildSubscriptionHeaders', () => {
  it('writes the header names and formats the panel sends', () => {
    assert.deepEqual(
      buildSubscriptionHeaders({
        title: 'VPN · Premium',
        upload: 1024,
        download: 2048,
        total: 107374182400,
        expireEpochSec: 1900000000,
        updateIntervalHours: 12,
        supportUrl: 'https://t.me/example_bot',
      }),
      {
        'content-type': 'text/plain; charset=utf-8',
        'subscription-userinfo': 'upload=1024; download=2048; total=107374182400; expire=1900000000',
        'profile-update-interval': '12',
        'profile-title': 'base64:VlBOIMK3IFByZW1pdW0=',
        'support-url': 'https://t.me/example_bot',
      },
    );
  });

  it('omits an empty title and rejects negative or fractional numbers', () => {
    const headers = buildSubscriptionHeaders({ title: '', upload: 0, download: 0, total: 0, expireEpochSec: 0, updateIntervalHours: 24 });
    assert.equal(headers['profile-title'], undefined);
    assert.equal(headers['subscription-userinfo'], 'upload=0; download=0; total=0; expire=0');
    assert.throws(
      () => buildSubscriptionHeaders({ title: 't', upload: -1, download: 0, total: 0, expireEpochSec: 0, updateIntervalHours: 1 }),
      RangeError,
    );
    assert.throws(
      () => buildSubscriptionHeaders({ title: 't', upload: 0, download: 0, total: 0, expireEpochSec: 1.5, updateIntervalHours: 1 }),
      RangeError,
    );
  });
});
