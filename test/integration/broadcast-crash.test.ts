/**
 * A broadcast survives a worker crash without messaging anyone twice. The worker runs in a child
 * process and is SIGKILLed the moment Telegram (the fake) has accepted the 40th message; a worker
 * in this process takes over once the dead batch's heartbeat times out. What the design promises
 * (activities/broadcast-activities.ts) and this test checks:
 * - every user gets the message at most once;
 * - every recipient ends sent, blocked (403: marked in users.blocked_at) or unknown, and the only
 *   recipients never messaged are the blocked ones and the 'unknown' ones, which are at most the
 *   sends in flight at the crash (CONCURRENCY);
 * - a 429 is waited out (retry_after) and its message sent afterwards;
 * - sends are paced at 25 per second and stay within Telegram's 30 in any one-second window;
 * - the operator gets a report with the numbers.
 * Then: a second broadcast excludes the users marked blocked, a third start is refused while one
 * runs, and a cancel (the operator's, or of the workflow itself) stops it with a report.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { z } from 'zod';
import { CONCURRENCY } from '../../activities/broadcast-activities';
import type { RecordedCall } from '../../fakes/telegram';
import { createBroadcastService, type BroadcastService } from '../../usecases/broadcasts';
import { broadcastWorkflowId } from '../../workflows/contract';
import { newUser } from '../support/db-fixtures';
import { eventually } from '../support/test-temporal';
import { startWorkerStack, type WorkerStack } from '../support/worker-stack';

const OPERATOR = 777_001;
const USERS = 150;
const TEXT = 'Планово обновляем серверы сегодня в 23:00 МСК. / Servers are updated tonight.';
const KILL_AFTER = 40;

describe('broadcast through a worker crash', () => {
  let stack: WorkerStack;
  let service: BroadcastService;
  const chats: number[] = [];
  const blocked: number[] = [];

  before(async () => {
    stack = await startWorkerStack();
    service = createBroadcastService({ db: stack.database.pool, client: stack.temporal.client, taskQueue: stack.config.taskQueue });
    for (let i = 0; i < USERS; i += 1) chats.push((await newUser(stack.database.pool)).telegram_id);
    blocked.push(chats[5]!, chats[77]!, chats[140]!);
    for (const chat of blocked) stack.telegram.setBlocked(chat, true);
  });
  after(async () => {
    await stack?.close();
  });

  const deliveryRows = (broadcastId: number) =>
    stack.database.pool.any(sql.type(z.object({ chat_id: z.number(), status: z.string() }))`
      SELECT chat_id, status FROM broadcast_deliveries WHERE broadcast_id = ${broadcastId}
    `);
  const okSends = (text: string) =>
    stack.telegram.sent().filter((call) => call.method === 'sendMessage' && call.ok && call.params['text'] === text);

  it('kills the worker mid-run: nobody is messaged twice, everyone else is reached, the operator gets the report', async (t) => {
    const pool = stack.database.pool;
    const sendTimes: number[] = [];
    const doomed = stack.spawnWorker();
    await doomed.ready();
    // The 40th accepted message kills the worker at once, while other sends are in flight.
    const killed = stack.telegram.waitFor((call: RecordedCall) => {
      if (call.method !== 'sendMessage' || !call.ok || call.params['text'] !== TEXT) return false;
      sendTimes.push(Date.now());
      if (sendTimes.length === KILL_AFTER) doomed.kill();
      return false;
    }, 120_000);
    killed.catch(() => undefined);
    stack.telegram.injectRateLimit('sendMessage', 1, 1);

    const started = await service.startBroadcast({
      audience: 'all',
      text: `  ${TEXT}\n`,
      operatorTelegramId: OPERATOR,
      requestKey: 'tg-1001',
    });
    assert.equal(started.kind, 'started');
    if (started.kind !== 'started') return;
    const recipients = await pool.oneFirst(
      sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM users WHERE blocked_at IS NULL`,
    );
    assert.equal(started.recipients, recipients, 'the snapshot is the audience at confirm time');
    assert.deepEqual(
      await service.startBroadcast({ audience: 'all', text: TEXT, operatorTelegramId: OPERATOR, requestKey: 'tg-1001' }),
      started,
      'a redelivered confirm joins the same broadcast',
    );

    await doomed.exited;
    const sentAtCrash = okSends(TEXT).length;
    const inFlight = (await deliveryRows(started.broadcastId)).filter((row) => row.status === 'sending').length;
    t.diagnostic(`killed after ${sentAtCrash} accepted messages; ${inFlight} deliveries left 'sending'`);
    assert.ok(sentAtCrash >= KILL_AFTER && sentAtCrash < started.recipients, 'the crash came mid-run');

    const result = await stack.run(() => stack.temporal.client.workflow.getHandle(broadcastWorkflowId(started.broadcastId)).result());
    const rows = await deliveryRows(started.broadcastId);
    const sentTo = new Map<number, number>();
    for (const call of okSends(TEXT)) sentTo.set(call.chatId ?? 0, (sentTo.get(call.chatId ?? 0) ?? 0) + 1);

    // At most once per user.
    for (const [chat, count] of sentTo) assert.equal(count, 1, `chat ${chat} got the broadcast ${count} times`);
    // Everyone reached except the blocked and the ambiguous.
    const statusOf = new Map(rows.map((row) => [row.chat_id, row.status]));
    for (const row of rows) {
      if (row.status === 'sent') assert.equal(sentTo.get(row.chat_id), 1, `delivery to ${row.chat_id} recorded sent`);
      if (!sentTo.has(row.chat_id))
        assert.ok(['blocked', 'unknown'].includes(row.status), `chat ${row.chat_id} never messaged yet ${row.status}`);
    }
    for (const chat of blocked) assert.equal(statusOf.get(chat), 'blocked');
    const unknown = rows.filter((row) => row.status === 'unknown').length;
    assert.ok(unknown <= CONCURRENCY, `${unknown} ambiguous deliveries, at most the ${CONCURRENCY} in flight`);
    assert.equal(unknown, inFlight, 'exactly the deliveries the crash left mid-send are unknown');
    assert.deepEqual(
      { total: result.total, pending: result.pending, sending: result.sending, failed: result.failed, blocked: result.blocked },
      { total: recipients, pending: 0, sending: 0, failed: 0, blocked: 3 },
    );
    assert.equal(result.sent, rows.filter((row) => row.status === 'sent').length);
    assert.equal(result.sent + result.blocked + result.unknown, recipients);
    assert.equal(result.status, 'completed');
    const marked = await pool.anyFirst(
      sql.type(z.object({ telegram_id: z.number() }))`SELECT telegram_id FROM users WHERE blocked_at IS NOT NULL ORDER BY telegram_id`,
    );
    assert.deepEqual(
      marked,
      [...blocked].sort((a, b) => a - b),
    );

    // The 429 was waited out and its message went afterwards (to the first recipient).
    const limited = stack.telegram.sent().find((call) => call.method === 'sendMessage' && call.errorCode === 429);
    assert.ok(limited !== undefined, 'Telegram answered 429 once');
    assert.ok(
      sentTo.get(limited.chatId ?? 0) === 1 || statusOf.get(limited.chatId ?? 0) === 'unknown',
      'the rate-limited message was sent later',
    );

    // Within 25 per second in every one-second window (Telegram allows about 30).
    let busiest = 0;
    for (let i = 0; i < sendTimes.length; i += 1) {
      let j = i;
      while (j < sendTimes.length && sendTimes[j]! - sendTimes[i]! < 1000) j += 1;
      busiest = Math.max(busiest, j - i);
    }
    t.diagnostic(`busiest second: ${busiest} messages; ${result.sent} sent, ${result.blocked} blocked, ${result.unknown} unknown`);
    assert.ok(busiest <= 30, `within Telegram's ~30 per second in every window (paced at 25), saw ${busiest}`);

    const report = await stack.telegram.waitFor((call) => call.method === 'sendMessage' && call.chatId === OPERATOR, 10_000);
    const reportText = String(report.params['text']);
    t.diagnostic(`report:\n${reportText}`);
    assert.match(reportText, new RegExp(`^Broadcast #${started.broadcastId} \\(all\\) finished in `));
    assert.match(reportText, new RegExp(`Recipients: ${recipients}\\nSent: ${result.sent}\\nBlocked the bot: 3`));
    if (result.unknown > 0) assert.match(reportText, new RegExp(`Uncertain, not resent \\(interrupted mid-send\\): ${result.unknown}`));
    assert.equal(stack.telegram.sent(OPERATOR).length, 1, 'one report');
  });

  it('skips users marked blocked, refuses a second broadcast while one runs, and a cancel stops it with a report', async () => {
    const text = 'Second broadcast';
    const preview = await service.previewBroadcast({ audience: 'never_paid', text });
    assert.equal(
      preview.recipients,
      USERS -
        3 +
        (await pool().oneFirst(
          sql.type(z.object({ n: z.number() }))`SELECT count(*)::int AS n FROM users WHERE telegram_id <> ALL(${sql.array(chats, 'int8')})`,
        )),
    );
    assert.equal(preview.refusal, undefined);
    assert.equal((await service.previewBroadcast({ audience: 'everyone', text })).refusal, 'unknown_audience');
    assert.equal((await service.previewBroadcast({ audience: 'active', text })).refusal, 'no_recipients');
    assert.equal((await service.previewBroadcast({ audience: 'all', text: '   ' })).refusal, 'empty_text');

    await stack.run(async () => {
      const started = await service.startBroadcast({ audience: 'never_paid', text, operatorTelegramId: OPERATOR, requestKey: 'tg-2001' });
      assert.equal(started.kind, 'started');
      if (started.kind !== 'started') return;
      assert.equal(started.recipients, preview.recipients);
      assert.deepEqual(
        await service.startBroadcast({ audience: 'all', text: 'third', operatorTelegramId: OPERATOR, requestKey: 'tg-2002' }),
        { kind: 'refused', reason: 'busy' },
      );
      await eventually(async () => (okSends(text).length >= 10 ? true : undefined), 20_000, '10 messages out');
      assert.equal(await service.cancelBroadcast({ broadcastId: started.broadcastId, operatorTelegramId: OPERATOR }), true);
      const result = await stack.temporal.client.workflow.getHandle(broadcastWorkflowId(started.broadcastId)).result();
      assert.equal(result.status, 'cancelled');
      assert.ok(result.pending > 0, 'the rest was never sent');
      assert.equal(result.sent, okSends(text).length, 'nothing went out after the cancel took effect');
      assert.equal(result.sent + result.pending + result.unknown, started.recipients);
      for (const chat of blocked)
        assert.equal(stack.telegram.sent(chat).filter((call) => call.params['text'] === text).length, 0, 'blocked users are skipped');
      const report = await stack.telegram.waitFor(
        (call) =>
          call.method === 'sendMessage' && call.chatId === OPERATOR && String(call.params['text']).includes(`#${started.broadcastId}`),
        10_000,
      );
      assert.match(String(report.params['text']), new RegExp(`cancelled[\\s\\S]*Not sent \\(cancelled\\): ${result.pending}`));
      assert.equal(
        await service.cancelBroadcast({ broadcastId: started.broadcastId, operatorTelegramId: OPERATOR }),
        false,
        'not running any more',
      );
      assert.equal(await service.runningBroadcast(), null);
    });
  });

  it('cancelling the workflow itself (Temporal UI, CLI) stops the sends too, lets those in flight land, and reports', async () => {
    const text = 'Third broadcast';
    await stack.run(async () => {
      const started = await service.startBroadcast({ audience: 'all', text, operatorTelegramId: OPERATOR, requestKey: 'tg-3001' });
      assert.equal(started.kind, 'started');
      if (started.kind !== 'started') return;
      await eventually(async () => (okSends(text).length >= 5 ? true : undefined), 20_000, '5 messages out');
      const handle = stack.temporal.client.workflow.getHandle(broadcastWorkflowId(started.broadcastId));
      await handle.cancel();
      const result = await handle.result();
      assert.equal(result.status, 'cancelled');
      assert.ok(result.pending > 0, 'the rest was never sent');
      assert.deepEqual([result.sending, result.unknown], [0, 0], 'the sends in flight at the cancel were recorded, none left uncertain');
      assert.equal(result.sent, okSends(text).length);
      const report = await stack.telegram.waitFor(
        (call) =>
          call.method === 'sendMessage' && call.chatId === OPERATOR && String(call.params['text']).includes(`#${started.broadcastId}`),
        10_000,
      );
      assert.match(String(report.params['text']), /cancelled/);
    });
  });

  const pool = () => stack.database.pool;
});
