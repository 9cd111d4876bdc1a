/**
 * Loopback servers the conformance suite needs: the site users reach through the VPN (an HTTP
 * server that counts the bytes it serves and receives) and the TLS 1.3 target a REALITY inbound
 * borrows its handshake from.
 */
import http from 'node:http';
import tls from 'node:tls';
import { makeTestCertificates } from '../../fakes/xui-panel/test-certificates';

/** An HTTP server on 127.0.0.1: `GET /bytes/<n>` answers n bytes; a POST body is counted. */
export interface ByteServer {
  url: string;
  /** Bytes of response bodies sent and request bodies received so far. */
  counters: { served: number; received: number };
  close(): Promise<void>;
}

export async function startByteServer(port: number): Promise<ByteServer> {
  const counters = { served: 0, received: 0 };
  const server = http.createServer((request, response) => {
    request.on('data', (chunk: Buffer) => (counters.received += chunk.length));
    request.on('end', () => {
      const size = Number(/^\/bytes\/(\d+)$/.exec(request.url ?? '')?.[1] ?? 0);
      const body = Buffer.alloc(size, 42);
      counters.served += size;
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${port}`, counters, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A TLS 1.3-only server on 127.0.0.1 with a self-signed certificate for `serverName`. */
export async function startTls13Target(port: number, serverName: string): Promise<{ close(): Promise<void> }> {
  const certs = makeTestCertificates(serverName);
  const server = tls.createServer(
    { key: certs.key, cert: certs.chain, minVersion: 'TLSv1.3', ALPNProtocols: ['h2', 'http/1.1'] },
    (socket) => {
      socket.on('error', () => undefined);
      socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
    },
  );
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { close: () => new Promise((resolve) => server.close(() => resolve())) };
}
