/**
 * Crash injection on how a period ends: a refund to the balance, expiry with its grace, and a
 * payment landing in grace (the same key re-enabled). Every activity of each path fails once
 * before and once after its effect, in turn, on the real Temporal server; the invariants hold
 * after each run.
 */
import { after, before, describe, it } from 'node:test';
import { printCrashSummary, runCrashMatrix, type RunResult } from './crash-matrix';
import { expiryPath, gracePaymentPath, refundPath } from './crash-paths';
import { startCrashStack, type CrashStack } from './crash-stack';

describe('crash injection: refund, expiry, payment in grace', () => {
  let stack: CrashStack;
  const log: RunResult[] = [];
  const startedAt = Date.now();
  before(async () => {
    stack = await startCrashStack();
  });
  after(async () => {
    printCrashSummary('refund, expiry, payment in grace', log, startedAt);
    await stack?.close();
  });

  it('a refund to the balance survives a crash at every step', async (t) => runCrashMatrix(t, stack, refundPath(), log));
  it('expiry survives a crash at every step', async (t) => runCrashMatrix(t, stack, expiryPath(), log));
  it('a payment in grace survives a crash at every step', async (t) => runCrashMatrix(t, stack, gracePaymentPath(), log));
});
