import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import Fastify from 'fastify';
import { createWebhookOutbox } from './webhook-outbox';

const closers: Array<() => Promise<void>> = [];
after(() => Promise.all(closers.map((close) => close())));

async function receiver(statuses: number[]) {
  const seen: string[] = [];
  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.post('/hook', async (request, reply) => {
    seen.push((request.body as { n: string }).n);
    return reply.code(statuses.shift() ?? 200).send();
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  closers.push(() => app.close());
  const address = app.server.address();
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hook`, seen };
}

describe('webhook outbox', () => {
  it('redelivers until exactly 200 (a 204 or a 500 is not an acknowledgement)', async () => {
    const target = await receiver([500, 204, 200]);
    const outbox = createWebhookOutbox({ url: target.url, retryDelaysMs: [1] });
    const delivery = outbox.send('{"n":"a"}');
    await outbox.settled();
    assert.deepEqual([delivery.statuses, delivery.state], [[500, 204, 200], 'delivered']);
    outbox.close();
  });

  it('holds and releases in reverse order; gives up after maxAttempts; retries refused connections', async () => {
    const target = await receiver([]);
    const outbox = createWebhookOutbox({ url: target.url, retryDelaysMs: [1] });
    outbox.hold();
    outbox.send('{"n":"1"}');
    outbox.send('{"n":"2"}');
    outbox.send('{"n":"3"}');
    await outbox.settled();
    assert.deepEqual(target.seen, []);
    outbox.release('reverse');
    await outbox.settled();
    assert.deepEqual(target.seen, ['3', '2', '1']);
    outbox.close();
    const dead = createWebhookOutbox({ url: 'http://127.0.0.1:9/nothing', retryDelaysMs: [1], maxAttempts: 3 });
    const lost = dead.send('{}');
    await dead.settled();
    assert.deepEqual([lost.statuses, lost.state], [[0, 0, 0], 'gave-up']);
    dead.close();
  });
});
