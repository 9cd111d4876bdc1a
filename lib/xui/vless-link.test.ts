import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  externalProxyInbound,
  grpcTlsInbound,
  httpUpgradeInbound,
  realityTcpInbound,
  tcpHttpInbound,
  wsTlsInbound,
  xhttpRealityInbound,
} from '../../fakes/xui-panel/seed-inbounds';
import { goEncodeValues, goFragmentEscape, goJsonMarshal, goQueryEscape } from './go-url-encoding';
import { parseVlessLink } from './parse-vless-link';
import { buildVlessLink } from './vless-link';

/*
 * Expected links were derived by hand from MHSanaei/3x-ui v3.6.0 internal/sub/service.go
 * (genVlessLink -> applyShareNetworkParams / applyShareTLSParams / applyShareRealityParams ->
 * appendQueryAndFragment): keys sorted by url.Values.Encode, values url.QueryEscape'd, the
 * fragment QueryEscape'd with '+' -> '%20', remark `<inbound remark>-<email>`. Reality takes the
 * first serverName/shortId (the panel picks one at random); spx = '/' + first 15 hex of
 * sha256(spiderX + '|' + subId) = sha256('/|k3j5h6g7f8d9s0a1') -> d990af4e643dbba.
 */
const client = {
  id: '11111111-2222-4333-8444-555555555555',
  email: 'sub-42-1a2b3c4d',
  flow: 'xtls-rprx-vision',
  subId: 'k3j5h6g7f8d9s0a1',
};
const host = 'vpn.example.org';
const uuid = client.id;
const PBK = 'Z84J2IelR9ch3k8VtlVhhs5ycBUlXA7wHBWcBrjqnAw';
const REALITY = `pbk=${PBK}&security=reality&sid=6ba85179e30d4fc2&sni=www.microsoft.com&spx=%2Fd990af4e643dbba`;
const TLS_ALPN = 'alpn=h2%2Chttp%2F1.1';

describe('buildVlessLink', () => {
  it('tcp + reality: flow allowed, first sni/sid, derived spx', () => {
    assert.deepEqual(buildVlessLink({ inbound: realityTcpInbound(), client, host }), [
      `vless://${uuid}@vpn.example.org:443?encryption=none&flow=xtls-rprx-vision&fp=chrome&${REALITY}&type=tcp#reality-sub-42-1a2b3c4d`,
    ]);
  });

  it('tcp with http header, no security: path, host from the request headers, no flow', () => {
    assert.deepEqual(buildVlessLink({ inbound: tcpHttpInbound(), client, host }), [
      `vless://${uuid}@vpn.example.org:8080?encryption=none&headerType=http&host=cdn.example.com&path=%2Fvideo&security=none&type=tcp#tcp-http-sub-42-1a2b3c4d`,
    ]);
  });

  it('ws + tls: path with space and query encoded like Go, alpn list, fragment space as %20', () => {
    assert.deepEqual(buildVlessLink({ inbound: wsTlsInbound(), client, host }), [
      `vless://${uuid}@vpn.example.org:8443?${TLS_ALPN}&encryption=none&fp=chrome&host=ws.example.com&path=%2Fws+path%3Fed%3D2560&security=tls&sni=vpn.example.com&type=ws#ws%20tls-sub-42-1a2b3c4d`,
    ]);
  });

  it('grpc + tls: serviceName, authority, mode=multi', () => {
    assert.deepEqual(buildVlessLink({ inbound: grpcTlsInbound(), client, host }), [
      `vless://${uuid}@vpn.example.org:2083?${TLS_ALPN}&authority=grpc.example.com&encryption=none&fp=chrome&mode=multi&security=tls&serviceName=grpc-svc&sni=vpn.example.com&type=grpc#grpc-sub-42-1a2b3c4d`,
    ]);
  });

  it('httpupgrade: host taken from headers when host is empty', () => {
    assert.deepEqual(buildVlessLink({ inbound: httpUpgradeInbound(), client, host }), [
      `vless://${uuid}@vpn.example.org:2052?encryption=none&host=hu.example.com&path=%2Fupgrade&security=none&type=httpupgrade#httpupgrade-sub-42-1a2b3c4d`,
    ]);
  });

  it('xhttp + reality: path, empty host, mode, padding, extra JSON without core defaults, no flow', () => {
    const extra = '%7B%22mode%22%3A%22auto%22%2C%22xPaddingBytes%22%3A%22100-1000%22%7D';
    assert.deepEqual(buildVlessLink({ inbound: xhttpRealityInbound(), client, host }), [
      `vless://${uuid}@vpn.example.org:8444?encryption=none&extra=${extra}&fp=chrome&host=&mode=auto&path=%2Fxh&${REALITY}&type=xhttp&x_padding_bytes=100-1000#xhttp-sub-42-1a2b3c4d`,
    ]);
  });

  it('external proxies: one link per proxy; forceTls none drops TLS fields; IPv6 bracketed', () => {
    assert.deepEqual(buildVlessLink({ inbound: externalProxyInbound(), client, host }), [
      `vless://${uuid}@edge1.example.net:443?${TLS_ALPN}&encryption=none&flow=xtls-rprx-vision&fp=chrome&security=tls&sni=vpn.example.com&type=tcp#cdn-EU-sub-42-1a2b3c4d`,
      `vless://${uuid}@[2001:db8::10]:80?encryption=none&flow=xtls-rprx-vision&security=none&type=tcp#cdn-plain-sub-42-1a2b3c4d`,
    ]);
  });

  it("matches the panel's own characterization test C1 byte for byte", () => {
    // internal/sub/characterization_test.go, TestChar_C1_VlessExternalProxy (v3.6.0)
    const inbound = {
      listen: '203.0.113.1',
      port: 443,
      protocol: 'vless',
      remark: 'char',
      settings: '{"clients":[{"id":"11111111-2222-4333-8444-555555555555","email":"user"}],"decryption":"none","encryption":"none"}',
      streamSettings: `{
        "network":"tcp","security":"tls",
        "tcpSettings":{"header":{"type":"none"}},
        "tlsSettings":{"serverName":"base.sni","alpn":["h2"],"settings":{"fingerprint":"chrome"}},
        "externalProxy":[
          {"forceTls":"tls","dest":"cdn1.example.com","port":8443,"remark":"R1","sni":"sni1.example.com","fingerprint":"firefox","alpn":["h3","h2"],"pinnedPeerCertSha256":["UElO"]},
          {"forceTls":"none","dest":"cdn2.example.com","port":80,"remark":"R2"}
        ]
      }`,
    };
    const links = buildVlessLink({ inbound, client: { id: '11111111-2222-4333-8444-555555555555', email: 'user' }, host: 'ignored' });
    assert.equal(
      links.join('\n'),
      'vless://11111111-2222-4333-8444-555555555555@cdn1.example.com:8443?alpn=h3%2Ch2&encryption=none&fp=firefox&pcs=UElO&security=tls&sni=sni1.example.com&type=tcp#char-R1-user\n' +
        'vless://11111111-2222-4333-8444-555555555555@cdn2.example.com:80?encryption=none&security=none&type=tcp#char-R2-user',
    );
  });

  it('uses a routable listen address, the public host otherwise, and accepts v3 object settings', () => {
    const stored = realityTcpInbound();
    const v3Shape = {
      ...stored,
      listen: '198.51.100.7',
      settings: JSON.parse(stored.settings),
      streamSettings: JSON.parse(stored.streamSettings),
    };
    assert.match(buildVlessLink({ inbound: v3Shape, client, host })[0] ?? '', /@198\.51\.100\.7:443\?/);
    for (const listen of ['0.0.0.0', '::', '127.0.0.1', '::1', '']) {
      assert.match(buildVlessLink({ inbound: { ...stored, listen }, client, host })[0] ?? '', /@vpn\.example\.org:443\?/, listen);
    }
  });

  it('is deterministic and takes a remark override', () => {
    const first = buildVlessLink({ inbound: realityTcpInbound(), client, host, remark: 'My VPN · DE' });
    assert.deepEqual(first, buildVlessLink({ inbound: realityTcpInbound(), client, host, remark: 'My VPN · DE' }));
    assert.ok(first[0]?.endsWith('#My%20VPN%20%C2%B7%20DE'));
  });

  it('refuses a non-VLESS inbound', () => {
    assert.throws(() => buildVlessLink({ inbound: { ...realityTcpInbound(), protocol: 'trojan' }, client, host }), TypeError);
  });
});

describe('parseVlessLink', () => {
  it('round-trips the fields of every built link', () => {
    const [ws] = buildVlessLink({ inbound: wsTlsInbound(), client, host });
    const parsed = parseVlessLink(ws ?? '');
    assert.deepEqual(parsed, {
      uuid,
      host: 'vpn.example.org',
      port: 8443,
      params: {
        alpn: 'h2,http/1.1',
        encryption: 'none',
        fp: 'chrome',
        host: 'ws.example.com',
        path: '/ws path?ed=2560',
        security: 'tls',
        sni: 'vpn.example.com',
        type: 'ws',
      },
      remark: 'ws tls-sub-42-1a2b3c4d',
    });
    const [, v6] = buildVlessLink({ inbound: externalProxyInbound(), client, host });
    assert.equal(parseVlessLink(v6 ?? '').host, '2001:db8::10');
  });

  it('compares a randomly chosen sni/sid link by fields', () => {
    const panelLink = `vless://${uuid}@vpn.example.org:443?encryption=none&flow=xtls-rprx-vision&fp=chrome&pbk=${PBK}&security=reality&sid=a1&sni=microsoft.com&spx=%2Fd990af4e643dbba&type=tcp#reality-sub-42-1a2b3c4d`;
    const ours = parseVlessLink(buildVlessLink({ inbound: realityTcpInbound(), client, host })[0] ?? '');
    const theirs = parseVlessLink(panelLink);
    const { sni: _a, sid: _b, ...ourRest } = ours.params;
    const { sni: _c, sid: _d, ...theirRest } = theirs.params;
    assert.deepEqual(ourRest, theirRest);
  });

  it('rejects what is not a vless link', () => {
    for (const bad of ['vmess://abc', 'vless://uuid@host', 'vless://uuid@host:99999', 'vless://@host:1']) {
      assert.throws(() => parseVlessLink(bad), TypeError, bad);
    }
  });
});

describe('Go URL encoding', () => {
  it('escapes like url.QueryEscape and sorts like url.Values.Encode', () => {
    assert.equal(goQueryEscape("a b/c?d=e&f!'()*~-_."), 'a+b%2Fc%3Fd%3De%26f%21%27%28%29%2A~-_.');
    assert.equal(goFragmentEscape('a b+c'), 'a%20b%2Bc');
    assert.equal(goEncodeValues({ type: 'ws', alpn: 'h2,h3', Z: '' }), 'Z=&alpn=h2%2Ch3&type=ws');
    assert.equal(goJsonMarshal({ b: '<&>', a: { d: 1, c: [2] } }), '{"a":{"c":[2],"d":1},"b":"\\u003c\\u0026\\u003e"}');
  });
});
