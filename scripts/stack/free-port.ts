import net from 'node:net';

/**
 * Asks the kernel for `count` distinct free TCP ports on 127.0.0.1: all are held open until
 * every one is known, so the kernel cannot hand the same port out twice. With
 * `STACK_PORT_RANGE=FIRST-LAST` in the environment (a shared machine where each user owns a
 * range) the ports come from that range instead of the kernel's ephemeral ones.
 */
export async function freePorts(count: number, range: string | undefined = process.env['STACK_PORT_RANGE']): Promise<number[]> {
  if (range !== undefined && range !== '') return freePortsInRange(count, range);
  const servers = await Promise.all(
    Array.from({ length: count }, () => {
      return new Promise<net.Server>((resolve, reject) => {
        const server = net.createServer();
        server.unref();
        server.on('error', reject);
        server.listen(0, '127.0.0.1', () => resolve(server));
      });
    }),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('could not read the bound port');
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

async function freePortsInRange(count: number, range: string): Promise<number[]> {
  const match = /^(\d+)-(\d+)$/.exec(range.trim());
  const first = Number(match?.[1]);
  const last = Number(match?.[2]);
  if (match === null || first < 1 || last > 65535 || first > last) throw new Error(`STACK_PORT_RANGE must be FIRST-LAST, got '${range}'`);
  const held: net.Server[] = [];
  try {
    for (let port = first; port <= last && held.length < count; port += 1) {
      const server = await new Promise<net.Server | undefined>((resolve) => {
        const candidate = net.createServer();
        candidate.unref();
        candidate.once('error', () => resolve(undefined));
        candidate.listen(port, '127.0.0.1', () => resolve(candidate));
      });
      if (server !== undefined) held.push(server);
    }
    if (held.length < count) throw new Error(`only ${held.length} of ${count} ports free in STACK_PORT_RANGE ${range}`);
    return held.map((server) => (server.address() as net.AddressInfo).port);
  } finally {
    await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

/** One free TCP port on 127.0.0.1 (see {@link freePorts}). */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  if (port === undefined) throw new Error('no port');
  return port;
}

/** Resolves true once something accepts TCP connections on host:port, false after `timeoutMs`. */
export async function waitForPort(host: string, port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}
