/**
 * A fake 3X-UI panel (v3 unless asked for v2, user `admin`) registered as an active server: the row points at the
 * panel's URL and inbound 1, and the panel password is stored sealed with `box`, as production
 * stores it. Tests that need a panel server of their own build it with this.
 */
import type { CommonQueryMethods } from 'slonik';
import { startFakePanel, type FakePanel } from '../../fakes/xui-panel/fake-panel';
import type { StoredInbound } from '../../fakes/xui-panel/seed-inbounds';
import type { SecretBox } from '../../lib/crypto/secret-box';
import { setServerPanelCredentials } from '../../sql/repositories/server-credentials-repository';
import { createServer } from '../../sql/repositories/servers-repository';
import { testActor } from './db-fixtures';
import type { VpnServerRow } from '../../sql/schemas/vpn-server-row';

/** A fake panel and the server row that points at it. */
export interface PanelServer {
  panel: FakePanel;
  server: VpnServerRow;
}

const PANEL_USER = 'admin';

/** Starts the panel and registers its server; the caller closes `panel` (closed here if registering fails). */
export async function startPanelServer(
  pool: CommonQueryMethods,
  box: SecretBox,
  input: { name: string; endpoint: string; password: string; maxUsers?: number; inbounds?: StoredInbound[]; version?: 'v2' | 'v3' },
): Promise<PanelServer> {
  const panel = await startFakePanel({
    version: input.version ?? 'v3',
    username: PANEL_USER,
    password: input.password,
    ...(input.inbounds === undefined ? {} : { inbounds: input.inbounds }),
  });
  try {
    const server = await createServer(pool, {
      name: input.name,
      endpoint: input.endpoint,
      xuiPanelUrl: panel.url,
      xuiInboundId: 1,
      ...(input.maxUsers === undefined ? {} : { maxUsers: input.maxUsers }),
      actor: testActor,
    });
    await setServerPanelCredentials(pool, { serverId: server.id, box, username: PANEL_USER, password: input.password, actor: testActor });
    return { panel, server };
  } catch (error) {
    await panel.close();
    throw error;
  }
}
