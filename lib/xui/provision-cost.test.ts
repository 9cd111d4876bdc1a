/**
 * Provisioning cost does not grow with the clients on the panel (issue 12): what provisioning asks
 * of a panel (activities/panel-targets.ts applyClient: the inbound's cached shape, then
 * ensureClient, which looks the client up by email and verifies the write by reading it back),
 * measured against the fake panel holding 100 and 10,000 clients. Prints the timings.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startFakePanel, type FakePanel } from '../../fakes/xui-panel/fake-panel';
import { realityTcpInbound } from '../../fakes/xui-panel/seed-inbounds';
import { ensureClient } from './ensure-client';
import { createPanelClient } from './panel-client';
import type { VlessClient } from './panel-schemas';

const panels: FakePanel[] = [];
after(() => Promise.all(panels.map((panel) => panel.close())));

function client(n: number): VlessClient {
  const hex = n.toString(16).padStart(12, '0');
  return {
    id: `00000000-0000-4000-8000-${hex}`,
    email: `cost-${n}`,
    flow: 'xtls-rprx-vision',
    limitIp: 0,
    totalGB: 0,
    expiryTime: 1_900_000_000_000,
    enable: true,
    tgId: 0,
    subId: `cost${hex}`,
    comment: '',
  };
}

async function measure(version: 'v2' | 'v3', existing: number) {
  const seed = realityTcpInbound();
  seed.settings = JSON.stringify({ ...JSON.parse(seed.settings), clients: Array.from({ length: existing }, (_, n) => client(n)) });
  const panel = await startFakePanel({ version, username: 'admin', password: 'pw-cost', inbounds: [seed] });
  panels.push(panel);
  let bytes = 0;
  const counting: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const body = await response.arrayBuffer();
    bytes += body.byteLength;
    return new Response(body, { status: response.status, headers: response.headers });
  };
  const api = createPanelClient({
    baseUrl: panel.url,
    webBasePath: '',
    username: 'admin',
    password: 'pw-cost',
    apiVersion: version,
    timeoutMs: 10_000,
    fetch: counting,
  });
  const provision = async (n: number) => {
    await api.inboundShape(1);
    return ensureClient(api, 1, client(n));
  };
  await provision(existing); // login and the inbound's shape, cached for a minute
  const runs = 20;
  bytes = 0;
  const started = performance.now();
  for (let n = existing + 1; n <= existing + runs; n += 1) assert.equal((await provision(n)).action, 'created');
  const perProvisionMs = (performance.now() - started) / runs;
  const perProvisionBytes = bytes / runs;
  const wholeInbound = performance.now();
  await api.getInbound(1);
  const wholeInboundMs = performance.now() - wholeInbound;
  return { perProvisionMs, perProvisionBytes, wholeInboundMs };
}

describe('provisioning cost against the number of clients on the panel', () => {
  for (const version of ['v2', 'v3'] as const) {
    it(`${version}: a provision moves the same bytes with 100 and with 10,000 clients on the panel`, async () => {
      const small = await measure(version, 100);
      const large = await measure(version, 10_000);
      console.log(
        `[provision-cost] ${version}: 100 clients ${small.perProvisionMs.toFixed(1)} ms, ${Math.round(small.perProvisionBytes)} B per provision; ` +
          `10,000 clients ${large.perProvisionMs.toFixed(1)} ms, ${Math.round(large.perProvisionBytes)} B per provision ` +
          `(reading the whole inbound, as every provision did before: ${small.wholeInboundMs.toFixed(1)} ms vs ${large.wholeInboundMs.toFixed(1)} ms)`,
      );
      assert.ok(
        Math.abs(large.perProvisionBytes - small.perProvisionBytes) <= 0.05 * small.perProvisionBytes,
        'bytes per provision do not grow with the panel',
      );
      assert.ok(large.perProvisionBytes < 5_000, 'a provision moves a few kilobytes, not the inbound');
    });
  }
});
