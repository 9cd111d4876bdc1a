import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakePanel, type FakePanel } from '../../fakes/xui-panel/fake-panel';
import { makeTestCertificates, type TestCertificates } from '../../fakes/xui-panel/test-certificates';
import { createPanelClient } from './panel-client';
import { PanelUnavailableError } from './panel-errors';
import type { PanelTlsOptions } from './panel-tls-fetch';

const PASSWORD = 'pw-tls';
let certs: TestCertificates;
let panel: FakePanel;

before(async () => {
  certs = makeTestCertificates();
  panel = await startFakePanel({
    version: 'v3',
    username: 'admin',
    password: PASSWORD,
    webBasePath: '/tls',
    https: { key: certs.key, cert: certs.chain },
  });
});
after(() => panel.close());

const client = (tls?: PanelTlsOptions) =>
  createPanelClient({
    baseUrl: panel.url,
    webBasePath: panel.webBasePath,
    username: 'admin',
    password: PASSWORD,
    apiVersion: 'v3',
    timeoutMs: 2000,
    tls,
  });

async function failure(tls?: PanelTlsOptions): Promise<PanelUnavailableError> {
  const error = await client(tls)
    .listInbounds()
    .then(
      () => assert.fail('expected a TLS failure'),
      (caught: unknown) => caught,
    );
  assert.ok(error instanceof PanelUnavailableError);
  return error;
}

describe('HTTPS panels with a self-signed certificate', () => {
  it('reports the real cause of a refused certificate, not "connection failed"', async () => {
    const error = await failure();
    assert.equal(error.reason, 'tls');
    assert.match(error.message, /TLS certificate refused: self-signed certificate in certificate chain \(SELF_SIGNED_CERT_IN_CHAIN\)/);
    assert.ok(!error.message.includes(PASSWORD) && !error.message.includes('/tls/'));
  });

  it('works with the panel CA given as PEM', async () => {
    assert.equal((await client({ caPem: certs.caCert }).listInbounds()).length, 1);
  });

  it('works with the pinned fingerprint (colons or not, any case), and refuses another certificate before sending anything', async () => {
    assert.equal((await client({ pinSha256: certs.fingerprint256 }).listInbounds()).length, 1);
    assert.equal((await client({ pinSha256: certs.fingerprint256.replaceAll(':', '').toLowerCase() }).listInbounds()).length, 1);
    panel.controls.calls.length = 0;
    const error = await failure({ pinSha256: 'AB'.repeat(32) });
    assert.equal(error.reason, 'tls');
    assert.match(error.message, /is not the pinned one \(ERR_PANEL_CERT_PIN_MISMATCH\)/);
    assert.deepEqual(panel.controls.calls, [], 'no request reached the panel, so no credentials were sent');
  });

  it('a CA that did not sign the certificate is refused with its cause', async () => {
    const other = makeTestCertificates('other.test');
    const error = await failure({ caPem: other.caCert });
    assert.equal(error.reason, 'tls');
    assert.match(
      error.message,
      /TLS certificate refused: .*\((SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\)/,
    );
  });

  it('a panel that is not there is still "connection failed", with the socket error', async () => {
    const closed = await startFakePanel({ version: 'v3', username: 'admin', password: PASSWORD });
    await closed.close();
    const error = await createPanelClient({
      baseUrl: closed.url,
      webBasePath: '',
      username: 'admin',
      password: PASSWORD,
      apiVersion: 'v3',
      timeoutMs: 2000,
    })
      .listInbounds()
      .then(
        () => assert.fail('expected a failure'),
        (caught: unknown) => caught,
      );
    assert.ok(error instanceof PanelUnavailableError);
    assert.equal(error.reason, 'connection');
    assert.match(error.message, /connection failed: .*ECONNREFUSED/);
  });
});
