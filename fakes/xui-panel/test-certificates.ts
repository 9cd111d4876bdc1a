/**
 * `makeTestCertificates`: a throw-away private CA and a server certificate it signed, for HTTPS
 * stand-ins on loopback (a self-signed HTTPS panel, the TLS 1.3 target of a REALITY inbound).
 * Made with the `openssl` command line, valid for two days, for 127.0.0.1 and localhost.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** PEM material of a test CA and a server certificate. */
export interface TestCertificates {
  caCert: string;
  /** The server's certificate followed by the CA's (the chain a server presents). */
  chain: string;
  /** The server's certificate alone. */
  cert: string;
  key: string;
  /** SHA-256 fingerprint of the server's certificate, as `AA:BB:...`. */
  fingerprint256: string;
}

/** Makes a CA and a server certificate for `names` (default 127.0.0.1 and localhost). @throws when openssl is missing */
export function makeTestCertificates(commonName = 'fake-panel.test'): TestCertificates {
  const dir = mkdtempSync(path.join(tmpdir(), 'test-certs-'));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl('req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-subj', '/CN=Test Panel CA', '-days', '2');
    openssl('req', ...ec, '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', `/CN=${commonName}`);
    writeFileSync(file('ext.cnf'), `subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:${commonName}\n`);
    openssl(
      'x509',
      '-req',
      '-in',
      file('server.csr'),
      '-CA',
      file('ca.crt'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-out',
      file('server.crt'),
      '-days',
      '2',
      '-extfile',
      file('ext.cnf'),
    );
    const caCert = readFileSync(file('ca.crt'), 'utf8');
    const cert = readFileSync(file('server.crt'), 'utf8');
    return {
      caCert,
      cert,
      chain: cert + caCert,
      key: readFileSync(file('server.key'), 'utf8'),
      fingerprint256: new X509Certificate(cert).fingerprint256,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
