/**
 * The user's side: a real xray-core client built from a `vless://` share link (as a VPN app
 * imports it), with an HTTP proxy inbound on loopback, and a request through it.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseVlessLink } from '../../lib/xui/parse-vless-link';
import { XRAY } from './real-panel';

/** The xray outbound a client app makes of a VLESS share link (tcp, ws; none, tls, reality). */
export function outboundOf(link: string): Record<string, unknown> {
  const { uuid, host, port, params } = parseVlessLink(link);
  const network = params['type'] ?? 'tcp';
  const security = params['security'] ?? 'none';
  const stream: Record<string, unknown> = { network, security };
  if (network === 'ws') stream['wsSettings'] = { path: params['path'] ?? '/', host: params['host'] ?? '' };
  if (network === 'tcp' && params['headerType'] === 'http') {
    stream['tcpSettings'] = {
      header: { type: 'http', request: { path: (params['path'] ?? '/').split(','), headers: { Host: (params['host'] ?? '').split(',') } } },
    };
  }
  if (security === 'reality') {
    stream['realitySettings'] = {
      serverName: params['sni'] ?? '',
      fingerprint: params['fp'] ?? 'chrome',
      publicKey: params['pbk'] ?? '',
      shortId: params['sid'] ?? '',
      spiderX: params['spx'] ?? '/',
    };
  }
  if (security === 'tls')
    stream['tlsSettings'] = { serverName: params['sni'] ?? host, fingerprint: params['fp'] ?? 'chrome', allowInsecure: true };
  return {
    tag: 'proxy',
    protocol: 'vless',
    settings: {
      vnext: [{ address: host, port, users: [{ id: uuid, encryption: params['encryption'] ?? 'none', flow: params['flow'] ?? '' }] }],
    },
    streamSettings: stream,
  };
}

/** A running xray client. */
export interface XrayClient {
  /** Port of its HTTP proxy inbound on 127.0.0.1. */
  proxyPort: number;
  stop(): Promise<void>;
  output(): string;
}

/** Starts xray with an HTTP proxy inbound on `proxyPort` whose traffic goes out through `link`. @throws when it does not listen within 15 s */
export async function startXrayClient(link: string, proxyPort: number): Promise<XrayClient> {
  const dir = await mkdtemp(path.join(tmpdir(), 'conformance-xray-client-'));
  const config = {
    log: { loglevel: 'warning' },
    inbounds: [{ tag: 'http-in', listen: '127.0.0.1', port: proxyPort, protocol: 'http', settings: {} }],
    outbounds: [outboundOf(link)],
  };
  await writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
  let output = '';
  const child = spawn(XRAY, ['run', '-c', path.join(dir, 'config.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  while (!(await listening(proxyPort))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`xray client did not start: ${output.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { proxyPort, stop, output: () => output };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * GETs `url` through the HTTP proxy on `proxyPort` and uploads `uploadBytes` with it (a POST),
 * returning the status and the bytes received. @throws on a network error or after `timeoutMs`
 */
export function requestThroughProxy(
  proxyPort: number,
  url: string,
  uploadBytes = 0,
  timeoutMs = 15_000,
): Promise<{ status: number; received: number }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port: proxyPort,
        method: uploadBytes > 0 ? 'POST' : 'GET',
        path: url,
        headers: { host: new URL(url).host },
        timeout: timeoutMs,
      },
      (response) => {
        let received = 0;
        response.on('data', (chunk: Buffer) => (received += chunk.length));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, received }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer through the proxy within ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end(uploadBytes > 0 ? Buffer.alloc(uploadBytes, 7) : undefined);
  });
}
