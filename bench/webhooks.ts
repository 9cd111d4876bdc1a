/**
 * bench webhooks: the api's webhook route alone (no worker: what is measured is the answer, and
 * the payment workflows the api signal-with-starts simply wait in Temporal).
 *   1. duplicates: one settled event (its payment completed) posted again and again by
 *      `--connections` keep-alive connections for `--seconds`: answers/s, per api core-second
 *      (/proc CPU of the api), p99.
 *   2. new: a fresh verified `payment.succeeded` per pending payment (rows made like the bot makes
 *      them), closed loop: accepted/s, p99, and the inbox rows that exist afterwards; then, for up
 *      to `--drain` seconds, how fast the api's dispatcher hands them to Temporal (signal-with-start,
 *      off the answer path) and whether every one was handed off.
 *   3. forged: the same bodies with a wrong signature: all must be refused and no row may appear.
 * Phases 1 and 2 post from one source address, as a provider does: the per-IP limiter must not
 * refuse verified webhooks. Forged ones vary it, so the limiter's 429 does not hide the 401.
 */
import { sql } from 'slonik';
import { z } from 'zod';
import { hmacSha256Hex } from '../lib/payments/hmac-signature';
import { SANDBOX_SIGNATURE_HEADER } from '../lib/payments/sandbox';
import { createPayment } from '../sql/repositories/payments-repository';
import { createPendingSubscription } from '../sql/repositories/subscriptions-repository';
import { cheapestPlanId, createUsers, mapConcurrent } from './lib/fixtures';
import { createHttpPoster, runClosedLoop, syntheticIp } from './lib/load';
import { cpuSeconds } from './lib/proc';
import { startBenchStack, type BenchStack } from './lib/stack';
import { summarize, type Metric } from './lib/stats';
import type { BenchOutcome } from './lib/results';

function invoiceBody(paymentId: number, amount: string): string {
  const now = new Date().toISOString();
  return JSON.stringify({
    event: 'payment.succeeded',
    invoice: {
      id: `sbx_bench_${paymentId}`,
      orderId: paymentId,
      amount,
      currency: 'RUB',
      description: 'bench',
      method: 'card',
      returnUrl: 'https://example.invalid/return',
      status: 'succeeded',
      createdAt: now,
      expiresAt: now,
      paidAt: now,
      refundedAmount: '0.00',
    },
  });
}

/** The one address phases 1 and 2 post from (TEST-NET-3), like a provider's notification server. */
const PROVIDER_IP = '203.0.113.10';

async function countInbox(stack: BenchStack): Promise<number> {
  return stack.db.oneFirst(sql.type(z.object({ count: z.coerce.number() }))`SELECT count(*) AS count FROM webhook_events`);
}

async function countInboxWithStatus(stack: BenchStack, status: string): Promise<number> {
  return stack.db.oneFirst(
    sql.type(z.object({ count: z.coerce.number() }))`SELECT count(*) AS count FROM webhook_events WHERE status = ${status}`,
  );
}

async function pendingPayments(stack: BenchStack, count: number): Promise<Array<{ id: number; amount: string }>> {
  const planId = await cheapestPlanId(stack);
  const users = await createUsers(stack, 8_000_000_000, count);
  const actor = { type: 'system', component: 'bench' } as const;
  return mapConcurrent(users, 8, async (user) => {
    const subscription = await createPendingSubscription(stack.db, { userId: user.id, planId, actor });
    const { payment } = await createPayment(stack.db, {
      userId: user.id,
      subscriptionId: subscription.id,
      amount: '199.00',
      method: 'card',
      provider: 'sandbox',
      actor,
    });
    return { id: payment.id, amount: payment.amount };
  });
}

export async function benchWebhooks(numbers: Record<string, number>): Promise<BenchOutcome> {
  const seconds = numbers['seconds'] ?? 20;
  const connections = numbers['connections'] ?? 8;
  const newCount = numbers['count'] ?? 3000;
  const drainSeconds = numbers['drain'] ?? 120;
  const stack = await startBenchStack({ api: true });
  const poster = createHttpPoster(connections);
  const metrics: Metric[] = [];
  const notes: string[] = [];
  const url = `${stack.apiUrl}/webhooks/sandbox`;
  const sign = (body: string) => ({ [SANDBOX_SIGNATURE_HEADER]: hmacSha256Hex(stack.sandboxSecret, body) });
  try {
    const apiPid = stack.pids.api;
    if (apiPid === undefined) throw new Error('no api pid');
    const payments = await pendingPayments(stack, newCount + 1);
    const [settled, ...fresh] = payments;
    if (settled === undefined) throw new Error('no payment');

    // 1. Duplicates of a settled event.
    await stack.db.query(sql.unsafe`UPDATE payments SET status = 'completed', completed_at = now() WHERE id = ${settled.id}`);
    const duplicateBody = invoiceBody(settled.id, settled.amount);
    const first = await poster.post(url, duplicateBody, sign(duplicateBody));
    if (first.status !== 200) throw new Error(`first delivery answered ${first.status}: ${first.body}`);
    const duplicateMs: number[] = [];
    let duplicateErrors = 0;
    const cpuStart = cpuSeconds(apiPid);
    const duplicates = await runClosedLoop({
      concurrency: connections,
      seconds,
      count: Number.MAX_SAFE_INTEGER,
      task: async (index) => {
        const start = performance.now();
        const answer = await poster.post(url, duplicateBody, { ...sign(duplicateBody), 'x-forwarded-for': PROVIDER_IP });
        duplicateMs.push(performance.now() - start);
        if (answer.status !== 200 || !answer.body.includes('duplicate')) duplicateErrors += 1;
      },
    });
    const cpuDuplicates = (cpuSeconds(apiPid) ?? 0) - (cpuStart ?? 0);
    const duplicateSummary = summarize(duplicateMs);
    metrics.push(
      { name: 'duplicates.per_s', value: duplicates.done / duplicates.seconds, unit: 'answers/s' },
      {
        name: 'duplicates.per_api_core_s',
        value: cpuDuplicates > 0 ? duplicates.done / cpuDuplicates : null,
        unit: 'answers/core-s',
        target: { kind: 'min', limit: 5000 },
      },
      { name: 'duplicates.p50_ms', value: duplicateSummary.p50, unit: 'ms' },
      { name: 'duplicates.p99_ms', value: duplicateSummary.p99, unit: 'ms', target: { kind: 'max', limit: 10 } },
      { name: 'duplicates.api_cores_used', value: cpuDuplicates / duplicates.seconds, unit: 'cores', better: 'none' },
    );
    if (duplicateErrors > 0) notes.push(`${duplicateErrors} duplicate deliveries were not answered 200 duplicate`);

    // 2. New verified events, each once.
    const inboxBefore = await countInbox(stack);
    const newMs: number[] = [];
    let accepted = 0;
    let newErrors = 0;
    const cpuNewStart = cpuSeconds(apiPid);
    const newRun = await runClosedLoop({
      concurrency: connections,
      seconds,
      count: fresh.length,
      task: async (index) => {
        const payment = fresh[index];
        if (payment === undefined) return;
        const body = invoiceBody(payment.id, payment.amount);
        const start = performance.now();
        const answer = await poster.post(url, body, { ...sign(body), 'x-forwarded-for': PROVIDER_IP });
        newMs.push(performance.now() - start);
        if (answer.status === 200 && answer.body.includes('accepted')) accepted += 1;
        else newErrors += 1;
      },
    });
    const cpuNew = (cpuSeconds(apiPid) ?? 0) - (cpuNewStart ?? 0);
    const inboxAfter = await countInbox(stack);
    const newSummary = summarize(newMs);
    metrics.push(
      { name: 'new.accepted_per_s', value: accepted / newRun.seconds, unit: 'events/s', target: { kind: 'min', limit: 1000 } },
      { name: 'new.per_api_core_s', value: cpuNew > 0 ? accepted / cpuNew : null, unit: 'events/core-s' },
      { name: 'new.p50_ms', value: newSummary.p50, unit: 'ms' },
      { name: 'new.p99_ms', value: newSummary.p99, unit: 'ms', target: { kind: 'max', limit: 20 } },
      { name: 'new.inbox_rows_added', value: inboxAfter - inboxBefore, unit: `of ${newRun.done}`, better: 'high' },
    );
    if (newErrors > 0) notes.push(`${newErrors} new events were not answered 200 accepted`);

    // 2b. The dispatcher's hand-off of what phase 2 stored (signal-with-start per payment).
    const handedBefore = await countInboxWithStatus(stack, 'handed_off');
    const cpuDrainStart = cpuSeconds(apiPid);
    const drainStart = performance.now();
    const drainDeadline = drainStart + drainSeconds * 1000;
    const handedAtDrainStart = await countInboxWithStatus(stack, 'handed_off');
    let waiting = await countInboxWithStatus(stack, 'received');
    while (waiting > 0 && performance.now() < drainDeadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      waiting = await countInboxWithStatus(stack, 'received');
    }
    const handedOff = await countInboxWithStatus(stack, 'handed_off');
    // Only the dispatcher works in the api now: its CPU per event handed off during the drain.
    const cpuDrain = (cpuSeconds(apiPid) ?? 0) - (cpuDrainStart ?? 0);
    const handedDuringDrain = handedOff - handedAtDrainStart;
    // Received between the end of phase 2 and now, plus what was handed off during phase 2 itself.
    const drainSpent = (performance.now() - drainStart) / 1000 + newRun.seconds;
    metrics.push(
      { name: 'new.handed_off', value: handedOff, unit: `of ${accepted} accepted`, target: { kind: 'min', limit: accepted } },
      { name: 'new.still_received', value: waiting, unit: `after ${drainSeconds} s drain`, target: { kind: 'max', limit: 1 } },
      { name: 'new.handed_off_per_s', value: handedOff / drainSpent, unit: 'events/s', better: 'high' },
      {
        name: 'handoff.api_cpu_ms_per_event',
        value: handedDuringDrain > 0 ? (cpuDrain * 1000) / handedDuringDrain : null,
        unit: 'ms',
        better: 'low',
      },
    );
    notes.push(
      `hand-off: ${handedOff - handedBefore} events handed off in ${drainSpent.toFixed(1)} s after the first was accepted (Temporal signal-with-start, no worker)`,
    );
    if (newRun.done >= fresh.length)
      notes.push(`new events ran out of prepared payments (${fresh.length}) before ${seconds} s: raise --count for a longer phase`);

    // 3. Forged: the same shape, wrong signature; nothing may reach the database.
    const forgedBefore = await countInbox(stack);
    let refused = 0;
    const forgedMs: number[] = [];
    const forged = await runClosedLoop({
      concurrency: connections,
      seconds: Math.min(seconds, 10),
      count: 5000,
      task: async (index) => {
        const body = invoiceBody(fresh[index % Math.max(1, fresh.length)]?.id ?? settled.id, '199.00');
        const start = performance.now();
        const answer = await poster.post(url, body, { [SANDBOX_SIGNATURE_HEADER]: 'ab'.repeat(32), 'x-forwarded-for': syntheticIp(index) });
        forgedMs.push(performance.now() - start);
        if (answer.status === 401) refused += 1;
      },
    });
    const forgedRows = (await countInbox(stack)) - forgedBefore;
    metrics.push(
      { name: 'forged.refused', value: refused, unit: `of ${forged.done}`, target: { kind: 'min', limit: forged.done } },
      { name: 'forged.per_s', value: forged.done / forged.seconds, unit: 'answers/s' },
      { name: 'forged.p99_ms', value: summarize(forgedMs).p99, unit: 'ms' },
      { name: 'forged.db_rows_added', value: forgedRows, unit: 'rows', target: { kind: 'max', limit: 1 } },
    );
    notes.push(
      `${connections} keep-alive connections; duplicates and new events from one source address (${PROVIDER_IP}, api runs with TRUST_PROXY=true): the per-IP limiter must let verified webhooks through`,
    );
    return { options: { seconds, connections, count: newCount, drain: drainSeconds }, metrics, notes };
  } finally {
    poster.close();
    await stack.stop();
  }
}
