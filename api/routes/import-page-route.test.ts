import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import { registerImportPageRoute } from './import-page-route';

const TOKEN = 'A'.repeat(40) + '_b-';

describe('GET /import/:app/:token', () => {
  it("answers a page that opens the app's import link for <PUBLIC_BASE_URL>/sub/<token>, at once and by a button", async () => {
    const app = Fastify();
    registerImportPageRoute(app, { publicBaseUrl: 'https://vpn.example.com' });
    const sub = `https://vpn.example.com/sub/${TOKEN}`;
    const expected: Record<string, string> = {
      happ: `happ://add/${sub}`,
      v2raytun: `v2raytun://import/${sub}`,
      hiddify: `hiddify://import/${sub}`,
      streisand: `streisand://import/${sub}`,
      v2rayng: `v2rayng://install-config?url=${encodeURIComponent(sub)}`,
    };
    for (const [name, link] of Object.entries(expected)) {
      const response = await app.inject({ method: 'GET', url: `/import/${name}/${TOKEN}` });
      assert.equal(response.statusCode, 200, name);
      assert.match(response.headers['content-type'] ?? '', /^text\/html/);
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.ok(response.body.includes(`<meta http-equiv="refresh" content="0;url=${link}">`), name);
      assert.ok(response.body.includes(`<a href="${link}"`), name);
    }
    await app.close();
  });

  it('is a plain 404 for an unknown app or a malformed token, so it never opens a link of its caller', async () => {
    const app = Fastify();
    registerImportPageRoute(app, { publicBaseUrl: 'https://vpn.example.com' });
    for (const url of [
      `/import/shadowrocket/${TOKEN}`,
      '/import/happ/short',
      `/import/happ/${TOKEN}%22%3E%3Cscript%3E`,
      `/import/happ/${'x'.repeat(65)}`,
    ]) {
      const response = await app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 404, url);
      assert.ok(!response.body.includes('://'), url);
    }
    await app.close();
  });
});
