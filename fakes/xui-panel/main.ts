/**
 * Runs a fake 3X-UI panel for local development.
 *
 * Environment (all optional): FAKE_PANEL_PORT (default 2053), FAKE_PANEL_VERSION ('v2' | 'v3',
 * default v3), FAKE_PANEL_BASE_PATH (default ''), FAKE_PANEL_USERNAME / FAKE_PANEL_PASSWORD
 * (default admin / admin), FAKE_PANEL_API_TOKEN (v3; default none), FAKE_PANEL_ALL_STREAMS=1 to
 * seed one inbound of every stream type. These are dev-only credentials, so printing them is fine.
 */
import { startFakePanel } from './fake-panel';
import { allStreamTypeInbounds, realityTcpInbound } from './seed-inbounds';

const env = process.env;
const version = env['FAKE_PANEL_VERSION'] === 'v2' ? 'v2' : 'v3';
const username = env['FAKE_PANEL_USERNAME'] ?? 'admin';
const password = env['FAKE_PANEL_PASSWORD'] ?? 'admin';
const apiToken = env['FAKE_PANEL_API_TOKEN'];

const panel = await startFakePanel({
  version,
  username,
  password,
  port: Number(env['FAKE_PANEL_PORT'] ?? 2053),
  webBasePath: env['FAKE_PANEL_BASE_PATH'] ?? '',
  ...(apiToken && version === 'v3' ? { apiToken } : {}),
  inbounds: env['FAKE_PANEL_ALL_STREAMS'] === '1' ? allStreamTypeInbounds() : [realityTcpInbound()],
});

console.log(`fake 3x-ui ${version} panel at ${panel.url}${panel.webBasePath}/`);
console.log(`  username=${username} password=${password}${apiToken && version === 'v3' ? ` apiToken=${apiToken}` : ''}`);
console.log(`  inbounds: ${panel.state.inbounds.map((inbound) => `${inbound.id}:${inbound.remark}`).join(', ')}`);

const stop = () => {
  void panel.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
