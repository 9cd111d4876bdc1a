/**
 * A REAL 3X-UI panel (built by scripts/conformance/build-binaries.sh) on loopback, with a
 * temporary database, its own xray-core, and no port outside the ones given: the panel's own
 * subscription server is off, it serves HTTPS with a self-signed chain, and its xray template has the API inbound on a given port and no
 * geoip rules (no geoip.dat needed, and loopback targets are not blocked as "private").
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { promisify } from 'node:util';
import { makeTestCertificates } from '../../fakes/xui-panel/test-certificates';
import { createPanelHttp, type PanelHttp } from '../../lib/xui/panel-http';
import { createPanelTlsFetch } from '../../lib/xui/panel-tls-fetch';

const run = promisify(execFile);

/** Where the build script puts the binaries (tools/ of the repository). */
export const TOOLS = path.resolve(import.meta.dirname, '../../tools/conformance');
export const XRAY = path.join(TOOLS, 'xray-v1.260327.0', 'xray');
export const PANEL_BINARIES = { v3: path.join(TOOLS, '3x-ui-v3.6.0', 'x-ui'), v2: path.join(TOOLS, '3x-ui-v2.9.4', 'x-ui') } as const;
export const PANEL_RELEASES = { v3: 'v3.6.0', v2: 'v2.9.4' } as const;

/** A running real panel, serving HTTPS with a certificate of a throw-away private CA. */
export interface RealPanel {
  version: 'v2' | 'v3';
  /** `https://127.0.0.1:<port>`. */
  url: string;
  /** The CA (PEM) that signed the panel's certificate, and that certificate's SHA-256 fingerprint. */
  tls: { caPem: string; fingerprint256: string };
  webBasePath: string;
  username: string;
  password: string;
  /** v3: the panel's API token (`x-ui setting -getApiToken`). */
  apiToken: string | undefined;
  /** An authenticated HTTP layer for setting the panel up (inbounds, key pairs). */
  http: PanelHttp;
  /** Stops the panel (and its xray) and deletes its folder. */
  stop(): Promise<void>;
  /** The panel's and its xray's log lines so far (for failure messages). */
  output(): string;
}

/** The xray template: the stats API on `apiPort`, direct outbound, no geoip rules. */
function xrayTemplate(apiPort: number): string {
  return JSON.stringify({
    log: { access: 'none', loglevel: 'warning', dnsLog: false },
    api: { tag: 'api', services: ['HandlerService', 'LoggerService', 'StatsService'] },
    inbounds: [{ tag: 'api', listen: '127.0.0.1', port: apiPort, protocol: 'tunnel', settings: { address: '127.0.0.1' } }],
    outbounds: [
      { tag: 'direct', protocol: 'freedom', settings: { domainStrategy: 'AsIs' } },
      { tag: 'blocked', protocol: 'blackhole', settings: {} },
    ],
    policy: {
      levels: { '0': { statsUserDownlink: true, statsUserUplink: true } },
      system: { statsInboundDownlink: true, statsInboundUplink: true, statsOutboundDownlink: false, statsOutboundUplink: false },
    },
    routing: { domainStrategy: 'AsIs', rules: [{ type: 'field', inboundTag: ['api'], outboundTag: 'api' }] },
    stats: {},
  });
}

/**
 * Starts a panel of `version` on 127.0.0.1:`port` with base path `/conf-<version>/`, user admin.
 * @throws when the binary is missing (run the build script) or the panel does not answer in 60 s
 */
export async function startRealPanel(version: 'v2' | 'v3', ports: { web: number; xrayApi: number }): Promise<RealPanel> {
  const dir = await mkdtemp(path.join(tmpdir(), `conformance-${version}-`));
  const env = {
    ...process.env,
    XUI_DB_FOLDER: path.join(dir, 'db'),
    XUI_BIN_FOLDER: path.join(dir, 'bin'),
    XUI_LOG_FOLDER: path.join(dir, 'log'),
    XUI_LOG_LEVEL: process.env['CONFORMANCE_PANEL_LOG_LEVEL'] ?? 'warning',
  };
  for (const folder of ['db', 'bin', 'log']) await mkdir(path.join(dir, folder));
  await symlink(XRAY, path.join(dir, 'bin', 'xray-linux-amd64'));
  const binary = PANEL_BINARIES[version];
  const username = 'admin';
  const password = `conformance-${version}-pw`;
  const webBasePath = `/conf-${version}`;
  await run(
    binary,
    [
      'setting',
      '-port',
      String(ports.web),
      '-listenIP',
      '127.0.0.1',
      '-username',
      username,
      '-password',
      password,
      '-webBasePath',
      `${webBasePath}/`,
    ],
    { env, cwd: dir },
  );
  const certs = makeTestCertificates('panel.conformance.test');
  await writeFile(path.join(dir, 'panel.crt'), certs.chain);
  await writeFile(path.join(dir, 'panel.key'), certs.key);
  await run(binary, ['cert', '-webCert', path.join(dir, 'panel.crt'), '-webCertKey', path.join(dir, 'panel.key')], { env, cwd: dir });
  const db = new DatabaseSync(path.join(dir, 'db', 'x-ui.db'));
  const put = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)');
  put.run('subEnable', 'false');
  put.run('xrayTemplateConfig', xrayTemplate(ports.xrayApi));
  db.close();
  let apiToken: string | undefined;
  if (version === 'v3') {
    const { stdout } = await run(binary, ['setting', '-getApiToken'], { env, cwd: dir });
    apiToken = /apiToken:\s*(\S+)/.exec(stdout)?.[1];
  }

  let output = '';
  const child: ChildProcess = spawn(binary, ['run'], { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `https://127.0.0.1:${ports.web}`;
  const tls = { caPem: certs.caCert, fingerprint256: certs.fingerprint256 };
  const http = createPanelHttp({
    baseUrl: url,
    webBasePath,
    username,
    password,
    timeoutMs: 10_000,
    csrf: 'auto',
    fetch: createPanelTlsFetch({ caPem: tls.caPem }),
  });

  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(killer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the ${version} panel exited: ${output.slice(-2000)}`);
      try {
        await http.login();
        break;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`the ${version} panel did not answer in 60 s: ${String(error)}\n${output.slice(-2000)}`);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { version, url, tls, webBasePath, username, password, apiToken, http, stop, output: () => output };
}
