/**
 * Crash injection on what changes a running subscription: the trial, auto-renewal from the
 * balance, an operator's extension and a move to another server. Every activity of each path
 * fails once before and once after its effect, in turn, on the real Temporal server; the
 * invariants hold after each run.
 */
import { after, before, describe, it } from 'node:test';
import { printCrashSummary, runCrashMatrix, type RunResult } from './crash-matrix';
import { extendPath, movePath, renewalPath, trialPath } from './crash-paths';
import { startCrashStack, type CrashStack } from './crash-stack';

describe('crash injection: trial, renewal, extension, move', () => {
  let stack: CrashStack;
  let secondServerId = 0;
  const log: RunResult[] = [];
  const startedAt = Date.now();
  before(async () => {
    stack = await startCrashStack();
    secondServerId = (await stack.real.addServer('DE-1')).server.id;
  });
  after(async () => {
    printCrashSummary('trial, renewal, extension, move', log, startedAt);
    await stack?.close();
  });

  it('the trial survives a crash at every step', async (t) => runCrashMatrix(t, stack, trialPath(), log));
  it('auto-renewal survives a crash at every step', async (t) => runCrashMatrix(t, stack, renewalPath(), log));
  it("an operator's extension survives a crash at every step", async (t) => runCrashMatrix(t, stack, extendPath(), log));
  it('a move to another server survives a crash at every step', async (t) =>
    runCrashMatrix(
      t,
      stack,
      movePath(() => secondServerId),
      log,
    ));
});
