import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startFakePanel, type FakePanel } from '../../fakes/xui-panel/fake-panel';
import { deriveClientIdentity } from './derive-client-identity';
import { ensureClient } from './ensure-client';
import { createPanelClient } from './panel-client';
import { PanelRejectedError, PanelUnavailableError } from './panel-errors';
import type { PanelOps } from './panel-ops';
import type { VlessClient } from './panel-schemas';

const SALT = 'test-salt-0123456789abcdef';
const panels: FakePanel[] = [];
after(() => Promise.all(panels.map((panel) => panel.close())));

async function setup(version: 'v2' | 'v3') {
  const panel = await startFakePanel({ version, username: 'admin', password: 'pw', webBasePath: '/p' });
  panels.push(panel);
  const api = createPanelClient({
    baseUrl: panel.url,
    webBasePath: '/p',
    username: 'admin',
    password: 'pw',
    apiVersion: 'auto',
    timeoutMs: 1000,
  });
  return { panel, api };
}

function desired(subscriptionId: number, overrides: Partial<VlessClient> = {}): VlessClient {
  const identity = deriveClientIdentity(subscriptionId, SALT);
  return {
    id: identity.uuid,
    email: identity.email,
    subId: identity.subId,
    flow: 'xtls-rprx-vision',
    limitIp: 3,
    totalGB: 0,
    expiryTime: 1_900_000_000_000,
    enable: true,
    tgId: 0,
    comment: '',
    ...overrides,
  };
}

const count = (panel: FakePanel, email: string) => panel.state.clients().filter(({ client }) => client['email'] === email).length;

for (const version of ['v2', 'v3'] as const) {
  describe(`ensureClient on ${version}`, () => {
    it('creates once, then leaves an identical client alone, then updates changed fields', async () => {
      const { panel, api } = await setup(version);
      const want = desired(1);
      assert.equal((await ensureClient(api, 1, want)).action, 'created');
      assert.equal((await ensureClient(api, 1, want)).action, 'unchanged');
      const renewed = { ...want, expiryTime: 1_990_000_000_000 };
      assert.equal((await ensureClient(api, 1, renewed)).action, 'updated');
      assert.deepEqual(await api.findClient(1, want.email), renewed);
      assert.equal(count(panel, want.email), 1);
    });

    it('after a crash between the panel call and the DB write, the retry finds the client', async () => {
      const { panel, api } = await setup(version);
      const want = desired(2);
      await api.addClient(1, want); // the first attempt succeeded, then the caller "crashed"
      assert.equal((await ensureClient(api, 1, want)).action, 'unchanged');
      assert.equal(count(panel, want.email), 1);
    });

    it('when the add was applied but its answer was lost, the retry creates nothing new', async () => {
      const { panel } = await setup(version);
      let loseNextAdd = true;
      const losingFetch: typeof fetch = async (input, init) => {
        const response = await fetch(input, init);
        if (loseNextAdd && init?.method === 'POST' && /addClient|clients\/add/.test(String(input))) {
          loseNextAdd = false;
          throw new TypeError('fetch failed: connection reset after the panel applied the add');
        }
        return response;
      };
      const api = createPanelClient({
        baseUrl: panel.url,
        webBasePath: '/p',
        username: 'admin',
        password: 'pw',
        apiVersion: version,
        timeoutMs: 1000,
        fetch: losingFetch,
      });
      const want = desired(3);
      await assert.rejects(ensureClient(api, 1, want), (error: unknown) => error instanceof PanelUnavailableError && error.retryable);
      assert.equal(count(panel, want.email), 1);
      assert.equal((await ensureClient(api, 1, want)).action, 'unchanged');
      assert.equal(count(panel, want.email), 1);
    });

    it("a connection dropped by the panel after applying the call ('lost') is retryable and harmless", async () => {
      const { panel, api } = await setup(version);
      const want = desired(4);
      await api.findClient(1, want.email);
      panel.controls.failNext(1, 'lost');
      await assert.rejects(api.addClient(1, want), PanelUnavailableError);
      assert.equal((await ensureClient(api, 1, want)).action, 'unchanged');
      assert.equal(count(panel, want.email), 1);
    });

    it('two concurrent attempts leave exactly one client', async () => {
      const { panel, api } = await setup(version);
      const want = desired(5);
      const results = await Promise.all([ensureClient(api, 1, want), ensureClient(api, 1, want)]);
      assert.ok(results.every((result) => result.client.id === want.id));
      assert.equal(count(panel, want.email), 1);
    });

    it('refuses to adopt a client with the same email but another uuid', async () => {
      const { api } = await setup(version);
      const want = desired(6);
      await api.addClient(1, { ...want, id: '99999999-9999-4999-8999-999999999999' });
      await assert.rejects(ensureClient(api, 1, want), PanelRejectedError);
    });
  });
}

describe('ensureClient with a duplicate-email refusal (race)', () => {
  it('reads the client back and reconciles it', async () => {
    const want = desired(7);
    let finds = 0;
    const calls: string[] = [];
    const panel: Pick<PanelOps, 'findClient' | 'addClient' | 'updateClient' | 'getInbound'> = {
      findClient: async () => (finds++ === 0 ? null : { ...want, comment: 'older' }),
      getInbound: async () => assert.fail('the narrow lookup found it'),
      addClient: async () => {
        calls.push('add');
        throw new PanelRejectedError('refused', { panelMessage: 'Duplicate email: x' });
      },
      updateClient: async () => {
        calls.push('update');
      },
    };
    assert.equal((await ensureClient(panel, 1, want)).action, 'updated');
    assert.deepEqual(calls, ['add', 'update']);
  });

  it('rethrows the refusal when the client is still absent', async () => {
    let inboundReads = 0;
    const panel: Pick<PanelOps, 'findClient' | 'addClient' | 'updateClient' | 'getInbound'> = {
      findClient: async () => null,
      addClient: async () => {
        throw new PanelRejectedError('refused', { panelMessage: 'record not found' });
      },
      updateClient: async () => undefined,
      getInbound: async () => {
        inboundReads += 1;
        return { clients: [] } as unknown as Awaited<ReturnType<PanelOps['getInbound']>>;
      },
    };
    await assert.rejects(ensureClient(panel, 1, desired(8)), PanelRejectedError);
    assert.equal(inboundReads, 1, 'looked in the whole inbound before giving up');
  });

  it('on v2, finds a client that is in the inbound without a traffic row (added by editing the inbound) and updates it', async () => {
    const { panel, api } = await setup('v2');
    const inboundId = panel.state.inbounds[0]?.id ?? 1;
    const want = desired(9);
    assert.equal((await ensureClient(api, inboundId, want)).action, 'created');
    panel.state.removeTrafficRow(want.email);
    assert.equal(await api.findClient(inboundId, want.email), null, 'the narrow v2 lookup no longer sees it');
    const changed = { ...want, expiryTime: want.expiryTime + 86_400_000 };
    assert.equal((await ensureClient(api, inboundId, changed)).action, 'updated');
    assert.equal(count(panel, want.email), 1, 'still one client, not a second one');
    assert.equal(panel.state.clients().find(({ client }) => client['email'] === want.email)?.client['expiryTime'], changed.expiryTime);
  });
});
