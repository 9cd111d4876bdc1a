/**
 * Crash injection on purchases paid by card/SBP (YooKassa) and by crypto (Crypto Pay): every
 * activity of the path fails once before and once after its effect, in turn, on the real
 * Temporal server; the invariants hold after each run and the key reaches the user exactly once.
 */
import { after, before, describe, it } from 'node:test';
import { printCrashSummary, runCrashMatrix, type RunResult } from './crash-matrix';
import { purchasePath } from './crash-paths';
import { startCrashStack, type CrashStack } from './crash-stack';

describe('crash injection: purchases by YooKassa and Crypto Pay', () => {
  let stack: CrashStack;
  const log: RunResult[] = [];
  const startedAt = Date.now();
  before(async () => {
    stack = await startCrashStack({ providers: true });
  });
  after(async () => {
    printCrashSummary('purchases by YooKassa and Crypto Pay', log, startedAt);
    await stack?.close();
  });

  it('purchase by card (YooKassa) survives a crash at every step', async (t) => runCrashMatrix(t, stack, purchasePath('card'), log));
  it('purchase by crypto (Crypto Pay) survives a crash at every step', async (t) => runCrashMatrix(t, stack, purchasePath('crypto'), log));
});
