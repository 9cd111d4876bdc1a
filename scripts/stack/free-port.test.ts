import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { freePorts } from './free-port';

describe('freePorts', () => {
  it('takes ports from STACK_PORT_RANGE when given, skipping one in use', async () => {
    const [base] = await freePorts(1);
    assert.ok(base !== undefined && base < 65_000);
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(base, '127.0.0.1', resolve));
    try {
      const ports = await freePorts(2, `${base}-${base + 30}`);
      assert.equal(ports.length, 2);
      assert.ok(!ports.includes(base), 'the busy port is skipped');
      for (const port of ports) assert.ok(port > base && port <= base + 30, `${port} inside the range`);
      assert.notEqual(ports[0], ports[1]);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });

  it('refuses a malformed range and a range with too few free ports', async () => {
    await assert.rejects(freePorts(1, '20000'), /FIRST-LAST/);
    await assert.rejects(freePorts(1, '20010-20000'), /FIRST-LAST/);
    const [base] = await freePorts(1);
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(base, '127.0.0.1', resolve));
    try {
      await assert.rejects(freePorts(1, `${base}-${base}`), /only 0 of 1/);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });
});
