/**
 * Inbounds as a 3X-UI panel stores them (`settings`, `streamSettings`, `sniffing` are JSON
 * strings), one builder per stream type, for the fake panel and for link tests.
 */

/** An inbound row as the panel's database holds it. */
export interface StoredInbound {
  id: number;
  up: number;
  down: number;
  total: number;
  remark: string;
  enable: boolean;
  expiryTime: number;
  listen: string;
  port: number;
  protocol: string;
  settings: string;
  streamSettings: string;
  tag: string;
  sniffing: string;
}

/** Fixed reality key material (not a real key pair; links only carry the public half). */
export const REALITY_PUBLIC_KEY = 'Z84J2IelR9ch3k8VtlVhhs5ycBUlXA7wHBWcBrjqnAw';
const REALITY_PRIVATE_KEY = 'yBaw532IIUNuQWDTncozoBaLJmcd1JZzvsHUgVP4fzE';
const SNIFFING = JSON.stringify({
  enabled: false,
  destOverride: ['http', 'tls', 'quic', 'fakedns'],
  metadataOnly: false,
  routeOnly: false,
});

interface InboundParts {
  id: number;
  port: number;
  remark: string;
  network: string;
  security: 'none' | 'tls' | 'reality';
  networkSettings?: Record<string, unknown>;
  extraStream?: Record<string, unknown>;
  listen?: string;
}

function vlessInbound(parts: InboundParts): StoredInbound {
  const stream: Record<string, unknown> = { network: parts.network, security: parts.security, externalProxy: [] };
  if (parts.networkSettings) stream[`${parts.network}Settings`] = parts.networkSettings;
  if (parts.security === 'tls') {
    stream['tlsSettings'] = {
      serverName: 'vpn.example.com',
      minVersion: '1.2',
      maxVersion: '1.3',
      cipherSuites: '',
      rejectUnknownSni: false,
      certificates: [{ certificateFile: '/root/cert.crt', keyFile: '/root/private.key', ocspStapling: 3600 }],
      alpn: ['h2', 'http/1.1'],
      settings: { allowInsecure: false, fingerprint: 'chrome', echConfigList: '' },
    };
  }
  if (parts.security === 'reality') {
    stream['realitySettings'] = {
      show: false,
      xver: 0,
      target: 'www.microsoft.com:443',
      serverNames: ['www.microsoft.com', 'microsoft.com'],
      privateKey: REALITY_PRIVATE_KEY,
      minClientVer: '',
      maxClientVer: '',
      maxTimediff: 0,
      shortIds: ['6ba85179e30d4fc2', 'a1', '0bbf2c'],
      mldsa65Seed: '',
      settings: { publicKey: REALITY_PUBLIC_KEY, fingerprint: 'chrome', serverName: '', spiderX: '/', mldsa65Verify: '' },
    };
  }
  Object.assign(stream, parts.extraStream);
  return {
    id: parts.id,
    up: 0,
    down: 0,
    total: 0,
    remark: parts.remark,
    enable: true,
    expiryTime: 0,
    listen: parts.listen ?? '',
    port: parts.port,
    protocol: 'vless',
    settings: JSON.stringify({ clients: [], decryption: 'none', encryption: 'none', fallbacks: [] }, null, 2),
    streamSettings: JSON.stringify(stream, null, 2),
    tag: `inbound-${parts.port}`,
    sniffing: SNIFFING,
  };
}

/** VLESS + tcp + reality (the default seed: id 1, port 443). */
export function realityTcpInbound(id = 1, port = 443): StoredInbound {
  return vlessInbound({
    id,
    port,
    remark: 'reality',
    network: 'tcp',
    security: 'reality',
    networkSettings: { acceptProxyProtocol: false, header: { type: 'none' } },
  });
}

/** VLESS + tcp with an HTTP header (obfuscation), no TLS. */
export function tcpHttpInbound(id = 2, port = 8080): StoredInbound {
  return vlessInbound({
    id,
    port,
    remark: 'tcp-http',
    network: 'tcp',
    security: 'none',
    networkSettings: {
      acceptProxyProtocol: false,
      header: {
        type: 'http',
        request: { version: '1.1', method: 'GET', path: ['/video', '/img'], headers: { Host: ['cdn.example.com', 'static.example.com'] } },
        response: { version: '1.1', status: '200', reason: 'OK', headers: {} },
      },
    },
  });
}

/** VLESS + ws + tls. */
export function wsTlsInbound(id = 3, port = 8443): StoredInbound {
  return vlessInbound({
    id,
    port,
    remark: 'ws tls',
    network: 'ws',
    security: 'tls',
    networkSettings: { acceptProxyProtocol: false, path: '/ws path?ed=2560', host: 'ws.example.com', headers: {}, heartbeatPeriod: 0 },
  });
}

/** VLESS + grpc + tls, multi mode. */
export function grpcTlsInbound(id = 4, port = 2083): StoredInbound {
  return vlessInbound({
    id,
    port,
    remark: 'grpc',
    network: 'grpc',
    security: 'tls',
    networkSettings: { serviceName: 'grpc-svc', authority: 'grpc.example.com', multiMode: true },
  });
}

/** VLESS + httpupgrade, no TLS, host from headers. */
export function httpUpgradeInbound(id = 5, port = 2052): StoredInbound {
  return vlessInbound({
    id,
    port,
    remark: 'httpupgrade',
    network: 'httpupgrade',
    security: 'none',
    networkSettings: { acceptProxyProtocol: false, path: '/upgrade', host: '', headers: { host: 'hu.example.com' } },
  });
}

/** VLESS + xhttp + reality, with padding settings (sent in `extra`). */
export function xhttpRealityInbound(id = 6, port = 8444): StoredInbound {
  return vlessInbound({
    id,
    port,
    remark: 'xhttp',
    network: 'xhttp',
    security: 'reality',
    networkSettings: {
      path: '/xh',
      host: '',
      headers: {},
      mode: 'auto',
      xPaddingBytes: '100-1000',
      noSSEHeader: false,
      scMaxEachPostBytes: '1000000',
      scMinPostsIntervalMs: '30',
      scMaxBufferedPosts: 30,
    },
  });
}

/** VLESS + tcp + tls with two external proxies (forceTls same and none). */
export function externalProxyInbound(id = 7, port = 9443): StoredInbound {
  return vlessInbound({
    id,
    port,
    remark: 'cdn',
    network: 'tcp',
    security: 'tls',
    networkSettings: { acceptProxyProtocol: false, header: { type: 'none' } },
    extraStream: {
      externalProxy: [
        { forceTls: 'same', dest: 'edge1.example.net', port: 443, remark: 'EU' },
        { forceTls: 'none', dest: '2001:db8::10', port: 80, remark: 'plain' },
      ],
    },
  });
}

/** One inbound of every stream type the product supports (ids 1-7). */
export function allStreamTypeInbounds(): StoredInbound[] {
  return [
    realityTcpInbound(),
    tcpHttpInbound(),
    wsTlsInbound(),
    grpcTlsInbound(),
    httpUpgradeInbound(),
    xhttpRealityInbound(),
    externalProxyInbound(),
  ];
}
