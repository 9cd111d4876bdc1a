/**
 * Runs one path of the system through every crash point: once cleanly (recording the activities
 * it calls), then once per (step, before|after), each run on fresh data, one at a time on the
 * stack's one worker. After each run the invariant checker must find nothing new, the path must
 * have completed, no message may have reached the user twice, and the path's own checks pass.
 */
import type { TestContext } from 'node:test';
import type { InvariantReport, InvariantViolation } from '../../activities/invariants';
import type { RecordedCall } from '../../fakes/telegram';
import type { CrashMode, CrashPoint, CrashStep } from './crash-injector';
import type { CrashStack } from './crash-stack';

/** What a path needs to be run through the matrix. `C` is what its setup hands the other steps. */
export interface CrashPath<C> {
  name: string;
  /** Fresh data for one run (a new user, a provisioned subscription...); nothing is injected here. */
  setup(stack: CrashStack): Promise<C>;
  /** Does what a user, provider, operator or timer does; may throw (reported as a problem). */
  drive(stack: CrashStack, context: C): Promise<void>;
  /** Whether the path's effect is complete. */
  done(stack: CrashStack, context: C): Promise<boolean>;
  /** What "done" means, for the failure message. */
  expectation: string;
  /** The user's Telegram chat (for the message checks). */
  chatId(context: C): number;
  /** Key messages (QR photos) the user must receive during the run; default: not checked. */
  keyPhotos?: number;
  /** Extra checks after the run; each string is a problem. */
  verify?(stack: CrashStack, context: C): Promise<string[]>;
  /** Quiet time after which an unfinished run is given up, in ms (longer for paths waiting on timers); default 2500. */
  giveUpQuietMs?: number;
}

/** The outcome of one run. */
export interface RunResult {
  label: string;
  point: CrashPoint | null;
  /** Whether the armed crash happened (false when the path never reached that step this time). */
  fired: boolean;
  problems: string[];
  steps: CrashStep[];
  ms: number;
  /** Where the time went: setup, drive, until done, until idle, the invariant check (ms each). */
  phases: number[];
}

const DONE_TIMEOUT_MS = 25_000;

function violationKey(violation: InvariantViolation): string {
  return `${violation.kind}:${violation.subscriptionId ?? ''}:${violation.paymentId ?? ''}:${violation.userId ?? ''}:${violation.serverId ?? ''}`;
}

function messageKey(call: RecordedCall): string {
  return `${call.method}:${String(call.params['text'] ?? call.params['caption'] ?? '')}`;
}

/** Runs the clean run and every crash point of one path, each as a subtest of `t`. */
export async function runCrashMatrix<C>(t: TestContext, stack: CrashStack, path: CrashPath<C>, log: RunResult[]): Promise<void> {
  let known = new Set<string>((await stack.check()).violations.map(violationKey));

  async function runOnce(point: CrashPoint | null): Promise<RunResult> {
    // Every run has fresh data; a workflow an earlier run left waiting (a parked retry, a timer)
    // must not act inside this run's recording and be taken for one of its steps.
    await terminateLeftovers(stack);
    const started = Date.now();
    const marks = [started];
    const mark = () => marks.push(Date.now());
    const { injector, real } = stack;
    injector.arm(null);
    const context = await path.setup(stack);
    await injector.idle(100, 10_000);
    mark();
    const chat = path.chatId(context);
    const before = real.telegram.sent(chat).length;
    const problems: string[] = [];

    injector.arm(point);
    try {
      await path.drive(stack, context);
    } catch (error) {
      problems.push(`drive failed: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    }
    mark();
    const deadline = Date.now() + DONE_TIMEOUT_MS;
    let completed = false;
    for (;;) {
      completed = await path.done(stack, context);
      if (completed || Date.now() > deadline || injector.quietFor() > (path.giveUpQuietMs ?? 2_500)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    mark();
    await injector.idle(300, 10_000);
    mark();
    const steps = injector.steps();
    const fired = injector.fired();
    injector.arm(null);

    if (!completed) problems.push(`did not complete: ${path.expectation}`);
    const report: InvariantReport = await stack.check();
    for (const violation of report.violations) {
      if (!known.has(violationKey(violation))) problems.push(`${violation.kind}: ${violation.summary}`);
    }
    known = new Set(report.violations.map(violationKey));
    mark();

    const messages = real.telegram
      .sent(chat)
      .slice(before)
      .filter((call) => call.ok && (call.method === 'sendMessage' || call.method === 'sendPhoto'));
    const seen = new Set<string>();
    for (const call of messages) {
      const key = messageKey(call);
      if (seen.has(key)) problems.push(`message sent twice: ${key.slice(0, 80)}`);
      seen.add(key);
    }
    if (path.keyPhotos !== undefined) {
      const photos = messages.filter((call) => call.method === 'sendPhoto').length;
      if (photos !== path.keyPhotos) problems.push(`key message (QR photo) reached Telegram ${photos} time(s), expected ${path.keyPhotos}`);
    }
    if (path.verify !== undefined) problems.push(...(await path.verify(stack, context)));
    const label = point === null ? `${path.name} clean` : `${path.name} ${point.activity}#${point.occurrence} ${point.mode}`;
    const phases = marks.slice(1).map((at, index) => at - (marks[index] ?? at));
    return { label, point, fired, problems, steps, ms: Date.now() - started, phases };
  }

  const clean = await runOnce(null);
  log.push(clean);
  await t.test(clean.label, () => assertNoProblems(clean));
  for (const step of clean.steps) {
    for (const mode of ['before', 'after'] as const satisfies readonly CrashMode[]) {
      const result = await runOnce({ ...step, mode });
      log.push(result);
      await t.test(result.label, () => {
        if (!result.fired)
          throw new Error(
            `crash point not reached (steps this run: ${result.steps.map((s) => `${s.activity}#${s.occurrence}`).join(', ')})`,
          );
        assertNoProblems(result);
      });
    }
  }
}

function assertNoProblems(result: RunResult): void {
  if (result.problems.length > 0) throw new Error(`${result.label}:\n  ${result.problems.join('\n  ')}`);
}

/** Terminates every workflow still running on the stack's task queue (earlier runs' leftovers). */
async function terminateLeftovers(stack: CrashStack): Promise<void> {
  const { client } = stack.real.temporal;
  const running = client.workflow.list({ query: `TaskQueue = '${stack.real.taskQueue}' AND ExecutionStatus = 'Running'` });
  for await (const execution of running) {
    await client.workflow
      .getHandle(execution.workflowId, execution.runId)
      .terminate('crash suite: an earlier run is over')
      .catch(() => undefined);
  }
}

/** Prints the summary of a file's runs: the crash points exercised, the failing ones, the time. */
export function printCrashSummary(title: string, log: RunResult[], startedAt: number): void {
  const exercised = log.filter((result) => result.point !== null && result.fired).length;
  const failing = log.filter((result) => result.problems.length > 0 || (result.point !== null && !result.fired));
  const slowest = [...log].sort((a, b) => b.ms - a.ms)[0];
  const lines = [
    `[crash] ${title}: ${log.length} runs in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (mean ${Math.round(log.reduce((sum, result) => sum + result.ms, 0) / Math.max(1, log.length))} ms, slowest ${slowest?.label ?? '-'} ${slowest?.ms ?? 0} ms: setup/drive/done/idle/check ${slowest?.phases.join('/') ?? ''})`,
    ...(process.env['CRASH_TRACE'] === '1'
      ? log.map((result) => `[crash]   ${result.label}: ${result.ms} ms (${result.phases.join('/')})`)
      : []),
    `crash points exercised: ${exercised}`,
    `[crash] ${title}: ${failing.length} run(s) with problems`,
    ...failing.map(
      (result) =>
        `[crash]   ${result.label}: ${result.problems[0] ?? 'crash point not reached'}${result.problems.length > 1 ? ` (+${result.problems.length - 1} more)` : ''}`,
    ),
  ];
  console.log(lines.join('\n'));
}
