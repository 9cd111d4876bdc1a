/**
 * Crash injection on purchases paid in Telegram Stars (through the real bot on the fake
 * Telegram) and from the balance: every activity of the path fails once before and once after
 * its effect, in turn, on the real Temporal server; the invariants hold after each run and the
 * key reaches the user exactly once.
 */
import { after, before, describe, it } from 'node:test';
import { printCrashSummary, runCrashMatrix, type RunResult } from './crash-matrix';
import { purchasePath } from './crash-paths';
import { startCrashStack, type CrashStack } from './crash-stack';

describe('crash injection: purchases in Stars and from the balance', () => {
  let stack: CrashStack;
  const log: RunResult[] = [];
  const startedAt = Date.now();
  before(async () => {
    stack = await startCrashStack({ bot: true });
  });
  after(async () => {
    printCrashSummary('purchases in Stars and from the balance', log, startedAt);
    await stack?.close();
  });

  it('purchase in Telegram Stars survives a crash at every step', async (t) => runCrashMatrix(t, stack, purchasePath('stars'), log));
  it('purchase from the balance survives a crash at every step', async (t) => runCrashMatrix(t, stack, purchasePath('balance'), log));
});
