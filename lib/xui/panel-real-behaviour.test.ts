/**
 * What real 3X-UI panels did that the fake did not show before (issue 12), against the fake that
 * now behaves the same way: generation detection by server/status, wrong recorded generations,
 * v2's HTTP 500 with an empty body on concurrent writes, and writes verified by reading back.
 * The conformance suite (test/conformance) checks the same against the real panels.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startFakePanel, type FakePanel, type FakePanelOptions } from '../../fakes/xui-panel/fake-panel';
import { createPanelClient, type PanelClientOptions } from './panel-client';
import { PanelAuthError, PanelUnavailableError } from './panel-errors';
import type { VlessClient } from './panel-schemas';
import { createPanelWriteQueues } from './panel-writes';

const PASSWORD = 'pw-real-behaviour';
const TOKEN = 'tok_real_behaviour_0123456789abcdef';
const panels: FakePanel[] = [];
after(() => Promise.all(panels.map((panel) => panel.close())));

async function setup(version: 'v2' | 'v3', fake: Partial<FakePanelOptions> = {}, client: Partial<PanelClientOptions> = {}) {
  const panel = await startFakePanel({ version, username: 'admin', password: PASSWORD, ...fake });
  panels.push(panel);
  const api = createPanelClient({
    baseUrl: panel.url,
    webBasePath: '',
    username: 'admin',
    password: PASSWORD,
    apiVersion: 'auto',
    timeoutMs: 2000,
    writes: { backoffMs: 20 },
    ...client,
  });
  return { panel, api };
}

function vless(n: number, overrides: Partial<VlessClient> = {}): VlessClient {
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    email: `sub-${n}-realbeh0`,
    flow: 'xtls-rprx-vision',
    limitIp: 0,
    totalGB: 0,
    expiryTime: 1_900_000_000_000,
    enable: true,
    tgId: 0,
    subId: `rb${String(n).padStart(14, '0')}`,
    comment: '',
    ...overrides,
  };
}

const paths = (panel: FakePanel) => panel.controls.calls.map((call) => `${call.method} ${call.path} ${call.status}`);

describe('generation detection', () => {
  it('reads panelVersion from server/status: a v3 panel without openapi.json (built without its frontend) is v3', async () => {
    for (const client of [{}, { apiToken: TOKEN }]) {
      const { panel, api } = await setup('v3', { openApi: false, apiToken: TOKEN }, client);
      assert.equal(await api.detectApiVersion(), 'v3');
      assert.ok(!paths(panel).some((line) => line.includes('openapi.json')));
    }
  });

  it('a v2 panel (status without panelVersion) is v2', async () => {
    const { api } = await setup('v2');
    assert.equal(await api.detectApiVersion(), 'v2');
  });

  it('a wrongly recorded generation is detected again on the first missing route, reported, and the call succeeds', async () => {
    for (const [real, recorded] of [
      ['v3', 'v2'],
      ['v2', 'v3'],
    ] as const) {
      const reported: string[] = [];
      const { panel, api } = await setup(
        real,
        {},
        { apiVersion: recorded, onApiVersionDetected: (version) => void reported.push(version) },
      );
      await api.addClient(1, vless(1));
      assert.equal(panel.state.clients().length, 1, `${real} recorded as ${recorded}`);
      assert.deepEqual(reported, [real]);
      assert.equal(await api.apiVersion(), real);
    }
  });

  it('a revoked API token is a PanelAuthError (not retryable) that says so', async () => {
    const { api } = await setup('v3', { apiToken: TOKEN }, { apiToken: 'tok_revoked_000000000000000000' });
    const error = await api.listInbounds().then(
      () => assert.fail('expected a refusal'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof PanelAuthError);
    assert.equal(error.retryable, false);
    assert.match(error.message, /token rejected or revoked/);
  });
});

describe('writes to one panel', () => {
  it('v2 answers overlapping writes HTTP 500 with an empty body (the fake does as the real panel)', async () => {
    const { panel } = await setup('v2', { writeMs: 30 });
    const login = await fetch(`${panel.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    const cookie = login.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    const add = (n: number) =>
      fetch(`${panel.url}/panel/api/inbounds/addClient`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json' },
        body: JSON.stringify({ id: 1, settings: JSON.stringify({ clients: [{ id: vless(n).id, email: vless(n).email }] }) }),
      });
    const answers = await Promise.all([1, 2, 3].map(add));
    assert.deepEqual(answers.map((answer) => answer.status).sort(), [200, 500, 500]);
    assert.equal(await answers.find((answer) => answer.status === 500)?.text(), '');
  });

  for (const version of ['v2', 'v3'] as const) {
    it(`${version}: 20 concurrent adds through two clients of one panel are serialized; every client is there, no write overlapped`, async () => {
      const queues = createPanelWriteQueues();
      const { panel, api } = await setup(version, { writeMs: 15 }, { writeQueues: queues });
      const second = createPanelClient({
        baseUrl: panel.url,
        webBasePath: '',
        username: 'admin',
        password: PASSWORD,
        apiVersion: 'auto',
        timeoutMs: 2000,
        writeQueues: queues,
      });
      await Promise.all(Array.from({ length: 20 }, (_, n) => (n % 2 === 0 ? api : second).addClient(1, vless(100 + n))));
      assert.equal(panel.state.clients().length, 20);
      assert.ok(!paths(panel).some((line) => line.endsWith(' 500')), 'no write answered 500');
      assert.equal(queues.pending(panel.url), 0);
    });
  }

  it('v2: a write answered 500 that was applied is read back and not repeated; one that was not is tried again', async () => {
    const { panel, api } = await setup('v2');
    await api.listInbounds();
    panel.controls.failNext(1, '500-applied');
    await api.addClient(1, vless(200));
    panel.controls.failNext(1, '500');
    await api.addClient(1, vless(201));
    assert.deepEqual(
      panel.state.clients().map(({ client }) => client['email']),
      [vless(200).email, vless(201).email],
    );
    const adds = paths(panel).filter((line) => line.startsWith('POST /panel/api/inbounds/addClient'));
    assert.deepEqual(adds, [
      'POST /panel/api/inbounds/addClient 500',
      'POST /panel/api/inbounds/addClient 500',
      'POST /panel/api/inbounds/addClient 200',
    ]);
  });

  it('a write the panel reports done but does not keep is retried, then fails retryably', async () => {
    const { panel, api } = await setup('v3');
    await api.addClient(1, vless(300));
    const inbound = panel.state.inbounds[0];
    assert.ok(inbound);
    // A panel that answers success but drops the change (as v2.9.4 lost one of its concurrent writes).
    const original = panel.state.writeClients.bind(panel.state);
    panel.state.writeClients = () => undefined;
    const error = await api.updateClient(1, vless(300, { enable: false })).then(
      () => assert.fail('expected a failure'),
      (caught: unknown) => caught,
    );
    panel.state.writeClients = original;
    assert.ok(error instanceof PanelUnavailableError);
    assert.equal(error.retryable, true);
    assert.match(error.message, /did not keep the write/);
  });
});
