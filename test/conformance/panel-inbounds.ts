/**
 * The inbounds the conformance suite sells, created on a real panel through its API: VLESS over
 * tcp, over ws, and tcp + REALITY with the vision flow (its target a loopback TLS 1.3 server).
 */
import { z } from 'zod';
import type { RealPanel } from './real-panel';

/** The three inbound types and their ids on the panel. */
export type InboundKind = 'tcp' | 'ws' | 'reality';

const SNIFFING = JSON.stringify({ enabled: false, destOverride: ['http', 'tls'], metadataOnly: false, routeOnly: false });

/** The stream settings of each kind. */
function streamOf(
  kind: InboundKind,
  reality: { target: string; serverName: string; privateKey: string; publicKey: string },
): Record<string, unknown> {
  if (kind === 'ws')
    return { network: 'ws', security: 'none', wsSettings: { acceptProxyProtocol: false, path: '/conformance-ws', host: '', headers: {} } };
  const tcp = { network: 'tcp', tcpSettings: { acceptProxyProtocol: false, header: { type: 'none' } } };
  if (kind === 'tcp') return { ...tcp, security: 'none' };
  return {
    ...tcp,
    security: 'reality',
    realitySettings: {
      show: false,
      xver: 0,
      target: reality.target,
      serverNames: [reality.serverName],
      privateKey: reality.privateKey,
      minClientVer: '',
      maxClientVer: '',
      maxTimediff: 0,
      shortIds: ['a1b2c3d4'],
      settings: { publicKey: reality.publicKey, fingerprint: 'chrome', serverName: '', spiderX: '/' },
    },
  };
}

/**
 * Creates one inbound of each kind listening on 127.0.0.1 at the given ports.
 * @returns the inbound id of each kind
 */
export async function createInbounds(
  panel: RealPanel,
  ports: Record<InboundKind, number>,
  realityTarget: { address: string; serverName: string },
): Promise<Record<InboundKind, number>> {
  const keys = await panel.http.request({ method: 'GET', route: '/panel/api/server/getNewX25519Cert' });
  const { privateKey, publicKey } = z.object({ privateKey: z.string(), publicKey: z.string() }).parse(keys.obj);
  const ids = {} as Record<InboundKind, number>;
  for (const kind of ['tcp', 'ws', 'reality'] as const) {
    const envelope = await panel.http.request({
      method: 'POST',
      route: '/panel/api/inbounds/add',
      json: {
        up: 0,
        down: 0,
        total: 0,
        remark: `conformance-${kind}`,
        enable: true,
        expiryTime: 0,
        listen: '127.0.0.1',
        port: ports[kind],
        protocol: 'vless',
        settings: JSON.stringify({ clients: [], decryption: 'none', fallbacks: [] }),
        streamSettings: JSON.stringify(
          streamOf(kind, { target: realityTarget.address, serverName: realityTarget.serverName, privateKey, publicKey }),
        ),
        sniffing: SNIFFING,
      },
    });
    ids[kind] = z.object({ id: z.number().int() }).parse(envelope.obj).id;
  }
  return ids;
}
