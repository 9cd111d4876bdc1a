/**
 * The query parameters of a VLESS share link, computed from an inbound's `streamSettings`
 * exactly as the panel's subscription service does (MHSanaei/3x-ui v3.6.0,
 * internal/sub/service.go: applyShareNetworkParams, applyShareTLSParams,
 * applyShareRealityParams, applyXhttpExtraParams), except that where the panel picks a reality
 * `serverNames`/`shortIds` entry at random this takes the first, so links are stable.
 */
import { createHash, randomInt } from 'node:crypto';
import { goJsonMarshal } from './go-url-encoding';

/** A JSON object. */
export type JsonObject = Record<string, unknown>;

/** The value when it is a JSON object. */
export function asObject(value: unknown): JsonObject | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as JsonObject) : undefined;
}

/** The value when it is a string. */
export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/**
 * Go `searchKey`: the first value under `key` anywhere in the tree (own keys first here; Go's map
 * order is random, which only matters if the key repeats deeper).
 */
export function searchKey(data: unknown, key: string): { found: boolean; value: unknown } {
  if (Array.isArray(data)) {
    for (const item of data) {
      const hit = searchKey(item, key);
      if (hit.found) return hit;
    }
    return { found: false, value: undefined };
  }
  const object = asObject(data);
  if (object === undefined) return { found: false, value: undefined };
  if (Object.hasOwn(object, key)) return { found: true, value: object[key] };
  for (const value of Object.values(object)) {
    const hit = searchKey(value, key);
    if (hit.found) return hit;
  }
  return { found: false, value: undefined };
}

/** Go `searchHost`: the `Host` header (any case); the first entry when it is a list. */
export function searchHost(headers: unknown): string {
  for (const [name, value] of Object.entries(asObject(headers) ?? {})) {
    if (name.toLowerCase() !== 'host') continue;
    if (Array.isArray(value)) return asString(value[0]) ?? '';
    return asString(value) ?? '';
  }
  return '';
}

function applyPathAndHost(settings: JsonObject | undefined, params: Record<string, string>): void {
  params['path'] = asString(settings?.['path']) ?? '';
  const host = asString(settings?.['host']);
  params['host'] = host !== undefined && host !== '' ? host : searchHost(settings?.['headers']);
}

/** Transport parameters: tcp (http header), ws, grpc, httpupgrade, xhttp. Other networks add none. */
export function applyNetworkParams(stream: JsonObject, network: string, params: Record<string, string>): void {
  switch (network) {
    case 'tcp': {
      const header = asObject(asObject(stream['tcpSettings'])?.['header']);
      if (asString(header?.['type']) !== 'http') return;
      const request = asObject(header?.['request']);
      const paths = request?.['path'];
      if (Array.isArray(paths) && paths.length > 0) params['path'] = asString(paths[0]) ?? '';
      const responseHeaders = asObject(asObject(header?.['response'])?.['headers']);
      let host = responseHeaders === undefined ? '' : searchHost(responseHeaders);
      if (host === '') host = searchHost(request?.['headers']);
      params['host'] = host;
      params['headerType'] = 'http';
      return;
    }
    case 'ws':
      applyPathAndHost(asObject(stream['wsSettings']), params);
      return;
    case 'httpupgrade':
      applyPathAndHost(asObject(stream['httpupgradeSettings']), params);
      return;
    case 'grpc': {
      const grpc = asObject(stream['grpcSettings']);
      params['serviceName'] = asString(grpc?.['serviceName']) ?? '';
      params['authority'] = asString(grpc?.['authority']) ?? '';
      if (grpc?.['multiMode'] === true) params['mode'] = 'multi';
      return;
    }
    case 'xhttp': {
      const xhttp = asObject(stream['xhttpSettings']);
      if (xhttp === undefined) return;
      applyPathAndHost(xhttp, params);
      const mode = asString(xhttp['mode']);
      if (mode !== undefined) params['mode'] = mode;
      const padding = asString(xhttp['xPaddingBytes']);
      if (padding) params['x_padding_bytes'] = padding;
      const extra = buildXhttpExtra(xhttp);
      if (extra !== undefined) params['extra'] = goJsonMarshal(extra);
      return;
    }
    default:
      return;
  }
}

const XHTTP_STRING_FIELDS = [
  'uplinkHTTPMethod',
  'sessionIDPlacement',
  'sessionIDKey',
  'sessionIDTable',
  'sessionIDLength',
  'seqPlacement',
  'seqKey',
  'uplinkDataPlacement',
  'uplinkDataKey',
  'scMaxEachPostBytes',
  'scMinPostsIntervalMs',
];
/* xray-core defaults are left out: `scMinPostsIntervalMs=30` in a link is a known DPI fingerprint. */
const XHTTP_CORE_DEFAULTS: Record<string, string> = { scMaxEachPostBytes: '1000000', scMinPostsIntervalMs: '30' };

/** Go `buildXhttpExtra`: the xhttp settings a client needs beyond path/host/mode, or undefined. */
export function buildXhttpExtra(xhttp: JsonObject): JsonObject | undefined {
  const extra: JsonObject = {};
  const nonEmpty = (key: string) => {
    const value = asString(xhttp[key]);
    return value !== undefined && value !== '' ? value : undefined;
  };
  const mode = nonEmpty('mode');
  if (mode !== undefined) extra['mode'] = mode;
  const padding = nonEmpty('xPaddingBytes');
  if (padding !== undefined) extra['xPaddingBytes'] = padding;
  if (xhttp['xPaddingObfsMode'] === true) {
    extra['xPaddingObfsMode'] = true;
    for (const key of ['xPaddingKey', 'xPaddingHeader', 'xPaddingPlacement', 'xPaddingMethod']) {
      const value = nonEmpty(key);
      if (value !== undefined) extra[key] = value;
    }
  }
  for (const key of XHTTP_STRING_FIELDS) {
    const value = nonEmpty(key);
    if (value !== undefined && value !== XHTTP_CORE_DEFAULTS[key]) extra[key] = value;
  }
  for (const [legacy, renamed] of [
    ['sessionPlacement', 'sessionIDPlacement'],
    ['sessionKey', 'sessionIDKey'],
  ] as const) {
    const value = nonEmpty(legacy);
    if (extra[renamed] === undefined && value !== undefined) extra[renamed] = value;
  }
  if (asString(extra['sessionIDPlacement'])) extra['sessionPlacement'] = extra['sessionIDPlacement'];
  if (asString(extra['sessionIDKey'])) extra['sessionKey'] = extra['sessionIDKey'];
  const chunk = xhttp['uplinkChunkSize'];
  if ((typeof chunk === 'string' && chunk !== '') || (typeof chunk === 'number' && chunk !== 0)) extra['uplinkChunkSize'] = chunk;
  if (xhttp['noGRPCHeader'] === true) extra['noGRPCHeader'] = true;
  for (const key of ['xmux', 'downloadSettings']) {
    const value = xhttp[key];
    const object = asObject(value);
    if ((object !== undefined && Object.keys(object).length > 0) || (Array.isArray(value) && value.length > 0)) extra[key] = value;
  }
  const headers = Object.entries(asObject(xhttp['headers']) ?? {}).filter(([name]) => name.toLowerCase() !== 'host');
  if (headers.length > 0) extra['headers'] = Object.fromEntries(headers);
  return Object.keys(extra).length > 0 ? extra : undefined;
}

/** `security=tls` with alpn, sni, fp, ech, vcn and pcs from `tlsSettings`. */
export function applyTlsParams(stream: JsonObject, params: Record<string, string>): void {
  params['security'] = 'tls';
  const tls = asObject(stream['tlsSettings']);
  const alpn = Array.isArray(tls?.['alpn']) ? (tls['alpn'] as unknown[]).filter((a): a is string => typeof a === 'string') : [];
  if (alpn.length > 0) params['alpn'] = alpn.join(',');
  const sni = searchKey(tls, 'serverName');
  if (sni.found) params['sni'] = asString(sni.value) ?? '';
  if (tls === undefined) return;
  const inner = searchKey(tls, 'settings').value;
  const fp = searchKey(inner, 'fingerprint');
  if (fp.found) params['fp'] = asString(fp.value) ?? '';
  const ech = asString(searchKey(inner, 'echConfigList').value);
  if (ech) params['ech'] = ech;
  const vcn = asString(searchKey(inner, 'verifyPeerCertByName').value)?.trim();
  if (vcn) params['vcn'] = vcn;
  const pins = searchKey(inner, 'pinnedPeerCertSha256').value;
  const pinList = Array.isArray(pins) ? pins.filter((p): p is string => typeof p === 'string' && p !== '') : [];
  if (pinList.length > 0) params['pcs'] = pinList.join(',');
}

/**
 * `security=reality` with sni (first serverName), pbk, sid (first shortId), fp, pqv, and the
 * per-client deterministic spx.
 * @param clientKey the client's subId, or its email when it has none
 */
export function applyRealityParams(stream: JsonObject, params: Record<string, string>, clientKey: string): void {
  params['security'] = 'reality';
  const reality = asObject(stream['realitySettings']);
  if (reality === undefined) return;
  const inner = searchKey(reality, 'settings').value;
  const first = (key: string) => {
    const hit = searchKey(reality, key);
    return hit.found && Array.isArray(hit.value) && hit.value.length > 0 ? (asString(hit.value[0]) ?? '') : undefined;
  };
  const sni = first('serverNames');
  if (sni !== undefined) params['sni'] = sni;
  const pbk = searchKey(inner, 'publicKey');
  if (pbk.found) params['pbk'] = asString(pbk.value) ?? '';
  const sid = first('shortIds');
  if (sid !== undefined) params['sid'] = sid;
  const fp = asString(searchKey(inner, 'fingerprint').value);
  if (fp) params['fp'] = fp;
  const pqv = asString(searchKey(inner, 'mldsa65Verify').value);
  if (pqv) params['pqv'] = pqv;
  params['spx'] = deriveSpiderX(asString(searchKey(inner, 'spiderX').value) ?? '', clientKey);
}

/** Go `deriveSpiderX`: `/` + the first 15 hex of SHA-256(seed + '|' + clientKey); random when both are empty. */
export function deriveSpiderX(seed: string, clientKey: string): string {
  if (seed === '' && clientKey === '') {
    const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    return '/' + Array.from({ length: 15 }, () => alphabet[randomInt(alphabet.length)]).join('');
  }
  return '/' + createHash('sha256').update(`${seed}|${clientKey}`).digest('hex').slice(0, 15);
}

/** Go `vlessFlowAllowed`: Vision flow on tcp with tls/reality, or on xhttp with VLESS encryption. */
export function vlessFlowAllowed(network: string, security: string, settings: JsonObject): boolean {
  if (network === 'tcp') return security === 'tls' || security === 'reality';
  if (network === 'xhttp') {
    return ['encryption', 'decryption'].some((key) => {
      const value = asString(settings[key]);
      return value !== undefined && value !== '' && value !== 'none';
    });
  }
  return false;
}
