/**
 * The webhook outbox survives a killed api: a real api child process (test/support/
 * webhook-api-child.ts) answers a verified webhook, its dispatcher claims the event and is killed
 * (SIGKILL) before the signal leaves; a dispatcher started afterwards hands the event off exactly
 * once.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { z } from 'zod';
import { createWebhookDispatcher } from '../../api/webhook-dispatcher';
import { createLogger } from '../../lib/logger';
import { hmacSha256Hex } from '../../lib/payments/hmac-signature';
import { SANDBOX_SIGNATURE_HEADER } from '../../lib/payments/sandbox';
import { startTsProcess, type Supervised } from '../../scripts/stack/child-process';
import { countAuditLogs } from '../../sql/repositories/audit-repository';
import { countWebhookEventsToDispatch } from '../../sql/repositories/webhook-dispatch-repository';
import { sandboxNotification, sandboxPayment } from '../support/sandbox-notification';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { eventually } from '../support/test-temporal';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SECRET = 'kill-test-secret';

let database: TestDatabase;
let api: Supervised | undefined;

before(async () => {
  database = await createTestDatabase();
});
after(async () => {
  await api?.stop(1_000);
  await database.drop();
});

/** Resolves with the first stdout line of `child` that starts with `prefix`, without it. */
function lineFrom(child: Supervised, prefix: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      for (const line of buffered.split('\n')) {
        if (line.startsWith(prefix)) {
          child.child.stdout?.off('data', onData);
          resolve(line.slice(prefix.length).trim());
        }
      }
    };
    child.child.stdout?.on('data', onData);
    void child.exited.then((code) => reject(new Error(`the api child exited (${code}) before printing ${prefix}`)));
  });
}

describe('webhook outbox and a killed api', () => {
  it('an event the killed api had accepted and claimed is handed off once by the next dispatcher', async () => {
    const payment = await sandboxPayment(database.pool);
    api = startTsProcess(
      'api-child',
      'test/support/webhook-api-child.ts',
      { ...process.env, DATABASE_URL: database.url, SANDBOX_PAY_SECRET: SECRET },
      ROOT,
    );
    const signalling = lineFrom(api, 'SIGNALLING ');
    const port = await lineFrom(api, 'LISTENING ');

    const body = sandboxNotification(payment);
    const answer = await fetch(`http://127.0.0.1:${port}/webhooks/sandbox`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SANDBOX_SIGNATURE_HEADER]: hmacSha256Hex(SECRET, body) },
      body,
    });
    assert.deepEqual([answer.status, await answer.json()], [200, { status: 'accepted' }]);
    assert.equal(await signalling, String(payment.id), 'its dispatcher claimed the event and is inside the hand-off');

    api.child.kill('SIGKILL');
    await api.exited;
    const status = () =>
      database.pool.oneFirst(sql.type(z.object({ status: z.string() }))`
        SELECT status FROM webhook_events WHERE event_key = ${`${payment.external_id}:payment.succeeded`}`);
    assert.equal(await status(), 'received', 'the killed round recorded nothing');

    const signalled: number[] = [];
    const next = createWebhookDispatcher({
      db: database.pool,
      logger: createLogger({ level: 'silent' }),
      pollMs: 50,
      signalVerdict: async (row) => void signalled.push(row.id),
    });
    next.start();
    await eventually(
      async () => ((await countWebhookEventsToDispatch(database.pool)) === 0 ? true : undefined),
      15_000,
      'the event handed off after the kill',
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    await next.stop();
    assert.deepEqual(signalled, [payment.id]);
    assert.equal(await status(), 'handed_off');
    const eventId = await database.pool.oneFirst(sql.type(z.object({ id: z.number() }))`
      SELECT id FROM webhook_events WHERE event_key = ${`${payment.external_id}:payment.succeeded`}`);
    assert.equal(await countAuditLogs(database.pool, { action: 'webhook.handed_off', entityId: eventId }), 1);
  });
});
