/**
 * `buildVlessLink`: the VLESS share link(s) of one client, byte-identical to what a v3.6.0 panel's
 * subscription service emits (internal/sub/service.go genVlessLink), with the first reality
 * serverName/shortId instead of a random one. Not covered: kcp parameters, `finalmask` (`fm`),
 * fallback inbounds (listen `@...`), node addresses and the Hosts feature.
 */
import { isIP } from 'node:net';
import { goEncodeValues, goFragmentEscape } from './go-url-encoding';
import {
  applyNetworkParams,
  applyRealityParams,
  applyTlsParams,
  asObject,
  asString,
  vlessFlowAllowed,
  type JsonObject,
} from './vless-link-params';

/** An inbound as the panel stores it (`settings`/`streamSettings` as JSON strings) or as v3 returns it. */
export interface LinkInbound {
  port: number;
  protocol?: string | undefined;
  listen?: string | undefined;
  remark?: string | undefined;
  settings: string | JsonObject;
  streamSettings: string | JsonObject;
  shareAddr?: string | undefined;
  shareAddrStrategy?: string | undefined;
}

/** The client fields a link needs. */
export interface LinkClient {
  id: string;
  email: string;
  flow?: string | undefined;
  subId?: string | undefined;
}

/** Input of {@link buildVlessLink}. */
export interface BuildVlessLinkInput {
  inbound: LinkInbound;
  client: LinkClient;
  /** Public host used when the inbound listens on all addresses (empty, 0.0.0.0, ::, loopback). */
  host: string;
  /**
   * The link's name (URL fragment). Default: the panel's `<inbound remark>-<email>`; an external
   * proxy's own remark is inserted before the email (or appended to this remark).
   */
  remark?: string | undefined;
}

/**
 * Builds the client's share links: one link, or one per `streamSettings.externalProxy` entry.
 * @throws TypeError when the inbound is not VLESS or its settings are not JSON objects
 */
export function buildVlessLink(input: BuildVlessLinkInput): string[] {
  const { inbound, client } = input;
  if (inbound.protocol !== undefined && inbound.protocol !== 'vless') throw new TypeError(`not a VLESS inbound: ${inbound.protocol}`);
  const stream = jsonObject(inbound.streamSettings, 'streamSettings');
  const settings = jsonObject(inbound.settings, 'settings');
  const network = asString(stream['network']) ?? '';
  const security = asString(stream['security']) ?? '';

  const params: Record<string, string> = { type: network };
  const encryption = asString(settings['encryption']);
  if (encryption !== undefined) params['encryption'] = encryption;
  applyNetworkParams(stream, network, params);
  if (security === 'tls') applyTlsParams(stream, params);
  else if (security === 'reality') applyRealityParams(stream, params, client.subId || client.email);
  else params['security'] = 'none';
  if (client.flow && vlessFlowAllowed(network, security, settings)) params['flow'] = client.flow;

  const remarkFor = (extra: string) =>
    input.remark !== undefined ? joinRemark(input.remark, extra) : joinRemark(inbound.remark ?? '', extra, client.email);

  const proxies = Array.isArray(stream['externalProxy']) ? (stream['externalProxy'] as unknown[]) : [];
  if (proxies.length === 0) {
    const link = `vless://${client.id}@${joinHostPort(resolveAddress(inbound, input.host), inbound.port)}`;
    return [appendQuery(link, params, remarkFor(''), '', false)];
  }
  return proxies.map((entry) => {
    const proxy = asObject(entry) ?? {};
    const forceTls = asString(proxy['forceTls']) ?? '';
    const securityToApply = forceTls !== 'same' ? forceTls : security;
    const next = { ...params };
    applyProxyOverrides(proxy, next, securityToApply);
    const port = typeof proxy['port'] === 'number' ? Math.trunc(proxy['port']) : 0;
    const id = applyVlessRoute(client.id, asString(proxy['vlessRoute']) ?? '');
    const link = `vless://${id}@${joinHostPort(asString(proxy['dest']) ?? '', port)}`;
    const remark = proxy['remarkFinal'] === true ? (asString(proxy['remark']) ?? '') : remarkFor(asString(proxy['remark']) ?? '');
    return appendQuery(link, next, remark, securityToApply, forceTls === 'none');
  });
}

function jsonObject(value: string | JsonObject, name: string): JsonObject {
  const parsed: unknown = typeof value === 'string' ? (value.trim() === '' ? {} : JSON.parse(value)) : value;
  const object = asObject(parsed);
  if (object === undefined) throw new TypeError(`inbound ${name} is not a JSON object`);
  return object;
}

/** The panel's `fallbackRemark`: non-empty parts joined with '-'. */
function joinRemark(...parts: string[]): string {
  return parts.filter((part) => part !== '').join('-');
}

/** Go `appendQueryAndFragment`. */
function appendQuery(link: string, params: Record<string, string>, fragment: string, securityOverride: string, omitTls: boolean): string {
  const effective: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) {
    if (omitTls && (key === 'alpn' || key === 'sni' || key === 'fp' || key === 'pcs')) continue;
    effective[key] = securityOverride !== '' && key === 'security' ? securityOverride : value;
  }
  const query = goEncodeValues(effective);
  return link + (query === '' ? '' : `?${query}`) + (fragment === '' ? '' : `#${goFragmentEscape(fragment)}`);
}

/** Go `applyExternalProxyTLSParams` plus the endpoint host/path and allowInsecure overrides. */
function applyProxyOverrides(proxy: JsonObject, params: Record<string, string>, security: string): void {
  const nonEmpty = (key: string) => {
    const value = asString(proxy[key]);
    return value !== undefined && value !== '' ? value : undefined;
  };
  if (security === 'tls') {
    const sni = nonEmpty('sni');
    if (sni !== undefined) params['sni'] = sni;
    const fp = nonEmpty('fingerprint');
    if (fp !== undefined) params['fp'] = fp;
    const alpn = proxy['alpn'];
    const alpnList = typeof alpn === 'string' ? [alpn] : Array.isArray(alpn) ? alpn : [];
    const alpnValue = alpnList.filter((a): a is string => typeof a === 'string' && a !== '').join(',');
    if (alpnValue !== '') params['alpn'] = alpnValue;
    const pins = Array.isArray(proxy['pinnedPeerCertSha256']) ? (proxy['pinnedPeerCertSha256'] as unknown[]) : [];
    const pinValue = pins.filter((p): p is string => typeof p === 'string' && p !== '').join(',');
    if (pinValue !== '') params['pcs'] = pinValue;
    const vcn = nonEmpty('verifyPeerCertByName');
    if (vcn !== undefined) params['vcn'] = vcn;
    const ech = nonEmpty('echConfigList');
    if (ech !== undefined) params['ech'] = ech;
  }
  const hostHeader = nonEmpty('hostHeader');
  if (hostHeader !== undefined && 'host' in params) params['host'] = hostHeader;
  const path = nonEmpty('path');
  if (path !== undefined && 'path' in params) params['path'] = path;
  if (security !== 'none' && proxy['allowInsecure'] === true) params['allowInsecure'] = '1';
}

/** Go `applyVlessRoute`: bakes a 0-65535 route into bytes 6-7 of the uuid. */
function applyVlessRoute(id: string, route: string): string {
  const trimmed = route.trim();
  if (!/^[+-]?\d+$/.test(trimmed)) return id;
  const n = Number(trimmed);
  if (n < 0 || n > 65535 || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return id;
  const lower = id.toLowerCase();
  return `${lower.slice(0, 14)}${n.toString(16).padStart(4, '0')}${lower.slice(18)}`;
}

/** Go `net.JoinHostPort` after stripping brackets: IPv6 hosts get brackets. */
function joinHostPort(host: string, port: number): string {
  const bare = host.replace(/^\[+|\]+$/g, '');
  return bare.includes(':') ? `[${bare}]:${port}` : `${bare}:${port}`;
}

/** The panel's `resolveInboundAddress` without nodes: custom share address, routable listen, else host. */
function resolveAddress(inbound: LinkInbound, host: string): string {
  const listen = inbound.listen ?? '';
  const listenAddr = listen !== '' && listen[0] !== '@' && listen[0] !== '/' && isRoutableHost(listen) ? listen : '';
  const candidates = inbound.shareAddrStrategy === 'custom' ? [(inbound.shareAddr ?? '').trim(), listenAddr] : [listenAddr];
  return candidates.find((candidate) => candidate !== '') ?? host;
}

function isRoutableHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family === 4) return !bare.startsWith('127.') && bare !== '0.0.0.0';
  if (family === 6) {
    const canonical = new URL(`http://[${bare}]`).hostname;
    return canonical !== '[::]' && canonical !== '[::1]' && !canonical.startsWith('[::ffff:7f') && canonical !== '[::ffff:0:0]';
  }
  return true;
}
