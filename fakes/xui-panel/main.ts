/**
 * Runs a fake 3X-UI panel for local development.
 *
 * Environment (all optional): FAKE_PANEL_PORT (default 2053), FAKE_PANEL_VERSION ('v2' | 'v3',
 * default v3), FAKE_PANEL_BASE_PATH (default ''), FAKE_PANEL_USERNAME / FAKE_PANEL_PASSWORD
 * (default admin / admin), FAKE_PANEL_API_TOKEN (v3; default none), FAKE_PANEL_ALL_STREAMS=1 to
 * seed one inbound of every stream type, FAKE_PANEL_SEED_CLIENTS=N to start with N clients already
 * in inbound 1 (benchmarks: provisioning must cost the same on a full panel), FAKE_PANEL_STATE_FILE
 * to keep the inbounds and their clients in a JSON file (read at start, written after every API
 * write and on stop), so a stopped and restarted panel still has its clients, as a real panel's
 * database does (the fault test, test/faults/, stops the panel for minutes). These are dev-only
 * credentials, so printing them is fine.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { startFakePanel } from './fake-panel';
import type { FakePanelState } from './fake-panel-state';
import { allStreamTypeInbounds, realityTcpInbound, type StoredInbound } from './seed-inbounds';

const env = process.env;
const version = env['FAKE_PANEL_VERSION'] === 'v2' ? 'v2' : 'v3';
const username = env['FAKE_PANEL_USERNAME'] ?? 'admin';
const password = env['FAKE_PANEL_PASSWORD'] ?? 'admin';
const apiToken = env['FAKE_PANEL_API_TOKEN'];
const stateFile = env['FAKE_PANEL_STATE_FILE'] || undefined;

/** Writes the inbounds (clients live in their settings) atomically: a crash keeps the old or the new file. */
function saveState(state: FakePanelState): void {
  if (stateFile === undefined) return;
  writeFileSync(`${stateFile}.tmp`, JSON.stringify({ inbounds: state.inbounds }));
  renameSync(`${stateFile}.tmp`, stateFile);
}

const saved =
  stateFile !== undefined && existsSync(stateFile)
    ? (JSON.parse(readFileSync(stateFile, 'utf8')) as { inbounds: StoredInbound[] }).inbounds
    : undefined;
const seedInbounds = env['FAKE_PANEL_ALL_STREAMS'] === '1' ? allStreamTypeInbounds() : [realityTcpInbound()];

const panel = await startFakePanel({
  version,
  username,
  password,
  port: Number(env['FAKE_PANEL_PORT'] ?? 2053),
  webBasePath: env['FAKE_PANEL_BASE_PATH'] ?? '',
  ...(apiToken && version === 'v3' ? { apiToken } : {}),
  inbounds: saved ?? seedInbounds,
  onMutation: saveState,
});
saveState(panel.state);

const seedClients = Number(env['FAKE_PANEL_SEED_CLIENTS'] ?? 0);
if (Number.isInteger(seedClients) && seedClients > 0) {
  const inbound = panel.state.findInbound(panel.state.inbounds[0]?.id ?? 1);
  if (inbound !== undefined) {
    const added = Array.from({ length: seedClients }, (_, index) => ({
      id: randomUUID(),
      email: `seed-${index}`,
      subId: `seed-sub-${index}`,
      flow: '',
      enable: true,
      limitIp: 0,
      totalGB: 0,
      expiryTime: 0,
      tgId: 0,
      comment: '',
      reset: 0,
    }));
    panel.state.writeClients(inbound, [...panel.state.readClients(inbound), ...added]);
    for (const client of added) panel.state.addTrafficRow(inbound.id, client);
  }
}

console.log(`fake 3x-ui ${version} panel at ${panel.url}${panel.webBasePath}/`);
console.log(`  username=${username} password=${password}${apiToken && version === 'v3' ? ` apiToken=${apiToken}` : ''}`);
console.log(
  `  inbounds: ${panel.state.inbounds.map((inbound) => `${inbound.id}:${inbound.remark}`).join(', ')}${seedClients > 0 ? ` (${seedClients} seeded clients)` : ''}`,
);

const stop = () => {
  void panel.close().then(() => {
    saveState(panel.state);
    process.exit(0);
  });
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
