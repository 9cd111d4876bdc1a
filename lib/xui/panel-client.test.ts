import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startFakePanel, type FakePanel, type FakePanelOptions } from '../../fakes/xui-panel/fake-panel';
import { allStreamTypeInbounds } from '../../fakes/xui-panel/seed-inbounds';
import { createPanelClient, type PanelClientOptions } from './panel-client';
import { PanelAuthError, PanelErrorCode, PanelNotFoundError, PanelRejectedError, PanelUnavailableError } from './panel-errors';
import type { VlessClient } from './panel-schemas';
import { buildVlessLink } from './vless-link';

const PASSWORD = 'correct horse battery staple';
const TOKEN = 'tok_9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const panels: FakePanel[] = [];
after(() => Promise.all(panels.map((panel) => panel.close())));

async function setup(version: 'v2' | 'v3', fake: Partial<FakePanelOptions> = {}, client: Partial<PanelClientOptions> = {}) {
  const panel = await startFakePanel({ version, username: 'admin', password: PASSWORD, webBasePath: '/secret', ...fake });
  panels.push(panel);
  const logs: unknown[] = [];
  const api = createPanelClient({
    baseUrl: panel.url,
    webBasePath: panel.webBasePath,
    username: 'admin',
    password: PASSWORD,
    apiVersion: version,
    timeoutMs: 1000,
    logger: { debug: (obj) => logs.push(obj), warn: (obj) => logs.push(obj) },
    ...client,
  });
  return { panel, api, logs };
}

function vless(n: number, overrides: Partial<VlessClient> = {}): VlessClient {
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    email: `sub-${n}-abcdef01`,
    flow: 'xtls-rprx-vision',
    limitIp: 2,
    totalGB: 50 * 1024 ** 3,
    expiryTime: 1_900_000_000_000,
    enable: true,
    tgId: 1000 + n,
    subId: `subid${String(n).padStart(11, '0')}`,
    comment: '',
    ...overrides,
  };
}

const logins = (panel: FakePanel) => panel.controls.calls.filter((call) => call.path === '/login').length;

for (const version of ['v2', 'v3'] as const) {
  describe(`panel client against a fake ${version} panel`, () => {
    it('detects the generation through the authenticated openapi.json probe', async () => {
      const { api } = await setup(version, {}, { apiVersion: 'auto' });
      assert.equal(await api.apiVersion(), version);
      assert.equal(await api.detectApiVersion(), version);
    });

    it('adds, finds, updates, counts, resets and deletes a client', async () => {
      const { panel, api } = await setup(version);
      const first = vless(1);
      await api.addClient(1, first);
      await api.addClient(1, vless(2));
      assert.deepEqual(await api.findClient(1, first.email), first);
      assert.equal(await api.findClient(1, 'sub-404-00000000'), null);

      const changed = { ...first, totalGB: 100, expiryTime: 1_950_000_000_000, enable: false, limitIp: 1, comment: 'renewed' };
      await api.updateClient(1, changed);
      assert.deepEqual(await api.findClient(1, first.email), changed);

      panel.state.addTraffic(first.email, 300, 700);
      assert.deepEqual(await api.getClientTraffic(first.email), {
        up: 300,
        down: 700,
        total: 100,
        expiryTime: 1_950_000_000_000,
        enable: false,
      });
      assert.equal(await api.getClientTraffic('sub-404-00000000'), null);
      await api.resetClientTraffic(1, first.email);
      assert.deepEqual(await api.getClientTraffic(first.email), {
        up: 0,
        down: 0,
        total: 100,
        expiryTime: 1_950_000_000_000,
        enable: true,
      });
      await assert.rejects(api.resetClientTraffic(1, 'sub-404-00000000'), PanelNotFoundError);

      assert.deepEqual(await api.deleteClient(1, first.email), { deleted: true });
      assert.deepEqual(await api.deleteClient(1, first.email), { deleted: false });
      assert.deepEqual(
        panel.state.clients().map(({ client }) => client['email']),
        [vless(2).email],
      );
      assert.equal((await api.listInbounds())[0]?.clients.length, 1);
    });

    it('keeps fields it does not model (reset) when updating the whole client', async () => {
      const { panel, api } = await setup(version);
      await api.addClient(1, vless(3));
      const inbound = panel.state.inbounds[0]!;
      panel.state.writeClients(
        inbound,
        panel.state.readClients(inbound).map((c) => ({ ...c, reset: 30 })),
      );
      await api.updateClient(1, vless(3, { totalGB: 1 }));
      assert.equal(panel.state.readClients(inbound)[0]?.['reset'], 30);
      assert.equal(panel.state.readClients(inbound)[0]?.['totalGB'], 1);
      await assert.rejects(api.updateClient(1, vless(4)), PanelNotFoundError);
    });

    it('maps success:false refusals to PanelRejectedError (duplicate email, unknown inbound)', async () => {
      const { api } = await setup(version, { inbounds: allStreamTypeInbounds() });
      await api.addClient(1, vless(5));
      const duplicate = await api.addClient(2, vless(5, { id: '00000000-0000-4000-8000-999999999999', subId: 'othersub00000000' })).then(
        () => assert.fail('expected a refusal'),
        (error: unknown) => error,
      );
      assert.ok(duplicate instanceof PanelRejectedError);
      assert.equal(duplicate.code, PanelErrorCode.PANEL_REJECTED);
      assert.equal(duplicate.retryable, false);
      assert.match(duplicate.panelMessage, /email/i);
      await assert.rejects(api.addClient(99, vless(6)), PanelRejectedError);
      await assert.rejects(api.getInbound(99), PanelNotFoundError);
      assert.equal((await api.getInbound(3)).streamSettings['network'], 'ws');
    });

    it('logs in again once when the session expires, then retries the call once', async () => {
      const { panel, api } = await setup(version);
      await api.listInbounds();
      assert.equal(logins(panel), 1);
      panel.controls.expireSessions();
      panel.controls.calls.length = 0;
      await api.addClient(1, vless(7));
      assert.deepEqual(
        // Without the CSRF fetch and the read-back that verifies the write.
        panel.controls.calls
          .map((call) => `${call.method} ${call.path} ${call.status}`)
          .filter((line) => !line.includes('csrf-token') && line.startsWith('POST')),
        [
          `POST ${version === 'v2' ? '/panel/api/inbounds/addClient' : '/panel/api/clients/add'} ${version === 'v2' ? 404 : 401}`,
          'POST /login 200',
          `POST ${version === 'v2' ? '/panel/api/inbounds/addClient' : '/panel/api/clients/add'} 200`,
        ],
      );
      assert.equal(panel.state.clients().length, 1);
    });

    it('re-logs in when the session times out by itself', async () => {
      const { panel, api } = await setup(version, { sessionTtlMs: 50 });
      await api.listInbounds();
      await new Promise((resolve) => setTimeout(resolve, 80));
      await api.listInbounds();
      assert.equal(logins(panel), 2);
    });

    it('reports a panel that is down as PanelUnavailableError (retryable)', async () => {
      const { panel, api } = await setup(version);
      await api.listInbounds();
      panel.controls.setDown(true);
      const reset = await api.listInbounds().catch((error: unknown) => error);
      assert.ok(reset instanceof PanelUnavailableError);
      assert.equal(reset.retryable, true);
      assert.equal(reset.reason, 'connection');
      panel.controls.setDown(true, '503');
      await assert.rejects(api.listInbounds(), (error: unknown) => error instanceof PanelUnavailableError && error.status === 503);
      panel.controls.setDown(false);
      assert.equal((await api.listInbounds()).length, 1);
      panel.controls.failNext(1, '500');
      await assert.rejects(api.listInbounds(), (error: unknown) => error instanceof PanelUnavailableError && error.status === 500);
      await panel.close();
      await assert.rejects(api.listInbounds(), (error: unknown) => error instanceof PanelUnavailableError && error.reason === 'connection');
    });

    it('bounds every call with the timeout', async () => {
      const { panel, api } = await setup(version, {}, { timeoutMs: 150 });
      await api.listInbounds();
      panel.controls.failNext(1, 'timeout');
      const started = Date.now();
      await assert.rejects(api.listInbounds(), (error: unknown) => error instanceof PanelUnavailableError && error.reason === 'timeout');
      assert.ok(Date.now() - started < 1000);
      panel.controls.setLatency(300);
      await assert.rejects(api.getClientTraffic('x'), (error: unknown) => error instanceof PanelUnavailableError && error.retryable);
      panel.controls.setLatency(0);
      assert.equal((await api.listInbounds()).length, 1);
    });

    it('maps an injected success:false to PanelRejectedError', async () => {
      const { panel, api } = await setup(version);
      panel.controls.failNext(1, 'reject');
      await assert.rejects(api.listInbounds(), PanelRejectedError);
    });

    it('refuses a wrong password with PanelAuthError and never leaks it', async () => {
      const { api, logs } = await setup(version, {}, { password: 'wrong-password-123' });
      const error = await api.listInbounds().catch((caught: unknown) => caught);
      assert.ok(error instanceof PanelAuthError);
      assert.equal(error.code, PanelErrorCode.PANEL_AUTH_FAILED);
      assert.equal(error.retryable, false);
      const text = JSON.stringify({ message: error.message, stack: error.stack, logs });
      assert.ok(!text.includes('wrong-password-123'));
      assert.ok(!text.includes(PASSWORD));
    });

    it('works without a web base path and fails clearly with the wrong one', async () => {
      const { api } = await setup(version, { webBasePath: '' });
      assert.equal((await api.listInbounds()).length, 1);
      const { panel } = await setup(version);
      const wrong = createPanelClient({
        baseUrl: panel.url,
        webBasePath: '/other',
        username: 'admin',
        password: PASSWORD,
        apiVersion: version,
        timeoutMs: 1000,
      });
      await assert.rejects(wrong.listInbounds(), PanelNotFoundError);
    });

    it('probes: logs in when needed, lists inbounds, measures latency', async () => {
      const { panel, api } = await setup(version, { latencyMs: 20 });
      const probe = await api.probe();
      assert.equal(probe.apiVersion, version);
      assert.equal(probe.inboundCount, 1);
      assert.ok(probe.latencyMs >= 20);
      await api.probe();
      assert.equal(logins(panel), 1);
    });

    it('uses the injected fetch', async () => {
      let used = 0;
      const { api } = await setup(version, {}, { fetch: (input, init) => ((used += 1), fetch(input, init)) });
      await api.listInbounds();
      assert.ok(used >= 2);
    });
  });
}

describe('v3 specifics', () => {
  it('uses the bearer token: no login, no CSRF, every call authenticated by token', async () => {
    const { panel, api, logs } = await setup('v3', { apiToken: TOKEN }, { apiToken: TOKEN, apiVersion: 'auto' });
    assert.equal(await api.apiVersion(), 'v3');
    await api.addClient(1, vless(8));
    await api.updateClient(1, vless(8, { comment: 'x' }));
    assert.deepEqual(await api.deleteClient(1, vless(8).email), { deleted: true });
    assert.equal(logins(panel), 0);
    assert.ok(panel.controls.calls.every((call) => call.auth === 'bearer'));
    assert.ok(!JSON.stringify(logs).includes(TOKEN));
  });

  it('rejects a wrong token with PanelAuthError', async () => {
    const { api } = await setup('v3', { apiToken: TOKEN }, { apiToken: 'tok_wrong', apiVersion: 'auto' });
    await assert.rejects(api.listInbounds(), PanelAuthError);
  });

  it('sends the CSRF token on cookie-session mutations and refreshes it after a 403', async () => {
    let strip = 1;
    const stripping: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      if (init?.method === 'POST' && headers.has('x-csrf-token') && String(input).includes('/panel/api/') && strip > 0) {
        strip -= 1;
        headers.delete('x-csrf-token');
      }
      return fetch(input, { ...init, headers });
    };
    const { panel, api } = await setup('v3', {}, { fetch: stripping });
    await api.addClient(1, vless(9));
    const statuses = panel.controls.calls
      .map((call) => `${call.method} ${call.path} ${call.status}`)
      .filter((line) => !line.startsWith('GET /panel/api/clients/get/'));
    assert.deepEqual(statuses.slice(-3), ['POST /panel/api/clients/add 403', 'GET /csrf-token 200', 'POST /panel/api/clients/add 200']);
    assert.equal(panel.state.clients().length, 1);
  });

  it('returns the panel-built links, equal to buildVlessLink', async () => {
    const { panel, api } = await setup('v3', { host: 'vpn.example.org' });
    await api.addClient(1, vless(10));
    const links = await api.getClientLinks(vless(10).email);
    const inbound = panel.state.inbounds[0]!;
    assert.deepEqual(links, buildVlessLink({ inbound, client: vless(10), host: 'vpn.example.org' }));
    await assert.rejects(api.getClientLinks('sub-404-00000000'), PanelNotFoundError);
  });

  it('applies a disabled state after create (the panel enables new clients)', async () => {
    const { api } = await setup('v3');
    await api.addClient(1, vless(11, { enable: false }));
    assert.equal((await api.findClient(1, vless(11).email))?.enable, false);
  });

  it('getClientLinks is v3 only', async () => {
    const { api } = await setup('v2');
    await assert.rejects(api.getClientLinks('x'), PanelNotFoundError);
  });
});
