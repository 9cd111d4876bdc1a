import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { LifecycleSettings, SettingsActivities } from '../activities/contracts/settings-activities';
import { ActivityProfile, LOCAL_DATABASE_STEPS_PATCH, LocalActivityProfile } from './activity-options';
import { createSubscriptionEffects, type EffectsContext, type Handled } from './subscription-effects';
import { errorType, timerFailed, timerSucceeded, workFailed, type DueAlert } from './subscription-failures';
import {
  DEFAULT_LIFECYCLE_SETTINGS,
  initialState,
  nextTimer,
  normalizeState,
  timerKey,
  type ParkableWork,
  type Retry,
  type SubscriptionState,
  type Timer,
} from './subscription-lifecycle';
import {
  cancelSignal,
  cancelUpdate,
  ensureClientSignal,
  extendUpdate,
  getStateQuery,
  moveToServerSignal,
  moveToServerUpdate,
  paymentCompletedSignal,
  refundToBalanceUpdate,
  trialGrantedSignal,
  validateExtend,
  validateMove,
  validateRefund,
  type CancelSignal,
  type MoveUpdate,
} from './subscription-messages';
import { isParked, nextParkedAtMs, takeDue, workKey } from './subscription-parking';
import { createTimerSteps } from './subscription-timers';
import { actorOf, priorityOf, publish, takeNext, type Work, type WorkInput } from './subscription-work';

/** Input of `subscription-{subscriptionId}`. */
export interface SubscriptionWorkflowInput {
  subscriptionId: number;
  userId: number;
  planId: number;
  /** Carried state after continue-as-new; absent on first start. */
  state?: SubscriptionState;
  /**
   * The lifecycle settings, when the starter has them (the worker's activities do: the payment
   * hand-off passes them). Absent, the first workflow task reads them (getLifecycleSettings), one
   * local activity more on the key path: hops between core, the workflow thread and the
   * activity (bench purchase timeline: the first task took 36 ms with it, 31 ms without).
   */
  settings?: LifecycleSettings;
}

const settings = proxyActivities<SettingsActivities>(ActivityProfile.database);
const localSettings = proxyLocalActivities<SettingsActivities>(LocalActivityProfile.database);

/** What one step of the loop (a work item or a timer) leaves: the next state, and whether a period was renewed. */
interface Step {
  state: SubscriptionState;
  renewed: boolean;
}

/** Continue-as-new once a run's history is this long, whatever else happens. */
const MAX_HISTORY_EVENTS = 10_000;

/**
 * The life of one subscription: wait for a payment or a trial, provision the key on a panel and
 * deliver it, remind before the end, disable at the end, re-enable on a payment within the grace
 * window, delete the client after it. Every change goes through one loop, so signals, updates
 * and timers never interleave; control work (cancel, refund, extend, move) is taken first and
 * interrupts a panel call in flight. Work that keeps failing is parked in the state with
 * exponential backoff (and an operator alert) while timers keep firing; decisions are the pure
 * functions of subscription-lifecycle.ts and subscription-parking.ts.
 */
export async function subscriptionWorkflow(input: SubscriptionWorkflowInput): Promise<SubscriptionState> {
  let state: SubscriptionState | undefined = input.state === undefined ? undefined : normalizeState(input.state);
  const inbox: Work[] = [];
  const results = new Map<number, unknown>();
  const alertsDue: DueAlert[] = [];
  let interruptible = false;
  let nextId = 1;
  const enqueue = (work: WorkInput) => {
    const id = nextId++;
    inbox.push({ ...work, id } as Work);
    return id;
  };
  const awaitResult = async <T>(id: number): Promise<T> => {
    await condition(() => results.has(id));
    const result = results.get(id);
    results.delete(id);
    if (result instanceof Error) throw result;
    return result as T;
  };
  /** A signal for work already known (queued, parked, or a payment applied) adds nothing. */
  const known = (work: ParkableWork): boolean =>
    (work.type === 'payment' && state?.seenPaymentIds.includes(work.paymentId) === true) ||
    inbox.some((queued) => !queued.viaUpdate && queued.type === work.type && workKey(queued as ParkableWork) === workKey(work)) ||
    (state !== undefined && isParked(state, work));

  setHandler(paymentCompletedSignal, ({ paymentId }) => {
    if (!known({ type: 'payment', paymentId })) enqueue({ type: 'payment', paymentId });
  });
  setHandler(
    trialGrantedSignal,
    ({ days, seconds }) => void enqueue({ type: 'trial', days, ...(seconds === undefined ? {} : { seconds }) }),
  );
  setHandler(cancelSignal, (signal: CancelSignal) => void enqueue({ type: 'cancel', actor: actorOf(signal, input.userId) }));
  setHandler(ensureClientSignal, () => {
    if (!known({ type: 'ensureClient' })) enqueue({ type: 'ensureClient' });
  });
  setHandler(moveToServerSignal, ({ fromServerId }) => void enqueue({ type: 'move', fromServerId }));
  setHandler(getStateQuery, () => visibleState());
  setHandler(extendUpdate, async (update) => awaitResult<{ endsAt: string | null }>(enqueue({ type: 'extend', update, viaUpdate: true })), {
    validator: validateExtend,
  });
  setHandler(
    refundToBalanceUpdate,
    async (update) => awaitResult<{ amountKopecks: string }>(enqueue({ type: 'refund', update, viaUpdate: true })),
    {
      validator: (update) => validateRefund(update, visibleState()),
    },
  );
  setHandler(
    moveToServerUpdate,
    async (update: MoveUpdate) => {
      const move: WorkInput = {
        type: 'move',
        fromServerId: requireState().serverId ?? 0,
        viaUpdate: true,
        ...(update.toServerId === undefined ? {} : { toServerId: update.toServerId }),
      };
      return awaitResult<{ serverId: number | null }>(enqueue(move));
    },
    {
      validator: (update) => validateMove(update, visibleState()),
    },
  );
  setHandler(cancelUpdate, async (signal: CancelSignal) => {
    await awaitResult(enqueue({ type: 'cancel', actor: actorOf(signal, input.userId), viaUpdate: true }));
    return requireState();
  });

  /** What queries and validators see: before the settings are loaded, a fresh subscription. */
  function visibleState(): SubscriptionState {
    return state ?? initialState(DEFAULT_LIFECYCLE_SETTINGS);
  }

  function requireState(): SubscriptionState {
    if (state === undefined) throw ApplicationFailure.nonRetryable('state not loaded yet', 'SUBSCRIPTION_STATE_INVALID');
    return state;
  }

  /** The state after failed work is parked with backoff (or given up); its alert is queued, the parking logged. */
  function parked(current: SubscriptionState, work: ParkableWork, previous: Retry | undefined, error: unknown): SubscriptionState {
    const failure = workFailed(current, input.subscriptionId, work, previous, errorType(error), Date.now());
    const { parked: item } = failure;
    if (!failure.gaveUp)
      log.error('work parked', {
        subscriptionId: input.subscriptionId,
        work: item.key,
        attempt: item.attempt,
        error: item.error,
        retryInMs: item.atMs - Date.now(),
      });
    if (failure.alert !== null) alertsDue.push(failure.alert);
    return failure.state;
  }

  state ??= initialState(input.settings ?? (await (patched(LOCAL_DATABASE_STEPS_PATCH) ? localSettings : settings).getLifecycleSettings()));
  publish(state);

  const context: EffectsContext = {
    subscriptionId: input.subscriptionId,
    userId: input.userId,
    state: requireState,
    // Effects publish their progress as they go (queries and validators see it mid-call); the loop
    // assigns what each step returns.
    setState: (next) => (state = next),
    followUp: (work, error) => (state = parked(requireState(), work, undefined, error)),
    panelStep: async (call) => {
      interruptible = true;
      try {
        return await call();
      } finally {
        interruptible = false;
      }
    },
  };
  const effects = createSubscriptionEffects(context);
  const fireStep = createTimerSteps(context, effects);

  /** Runs one item; control work arriving during its panel call interrupts it (it runs again after). */
  async function run(work: Work): Promise<Step> {
    const scope = new CancellationScope();
    let outcome: { ok: true; value: Handled } | { ok: false; error: unknown } | undefined;
    const running = scope
      .run(() => effects.handle(work))
      .then(
        (value) => (outcome = { ok: true, value }),
        (error: unknown) => (outcome = { ok: false, error }),
      );
    const urgent = () => interruptible && inbox.some((queued) => priorityOf(queued) > priorityOf(work));
    await condition(() => outcome !== undefined || urgent());
    let interrupted = false;
    if (outcome === undefined) {
      interrupted = true;
      scope.cancel();
    }
    await running;
    interruptible = false;
    const settled = outcome as { ok: true; value: Handled } | { ok: false; error: unknown };
    if (settled.ok) {
      if (work.viaUpdate === true) results.set(work.id, settled.value.result);
      return { state: requireState(), renewed: settled.value.renewed };
    }
    if (interrupted) {
      inbox.unshift(work);
    } else if (work.viaUpdate === true) {
      // Updates get the error back (their caller decides); nothing is parked behind them.
      const error = settled.error;
      results.set(
        work.id,
        ApplicationFailure.create({
          message: error instanceof Error ? error.message : String(error),
          type: errorType(error),
          nonRetryable: true,
        }),
      );
    } else {
      const { id: _id, viaUpdate: _via, retry, ...parkable } = work;
      return { state: parked(requireState(), parkable as ParkableWork, retry, settled.error), renewed: false };
    }
    return { state: requireState(), renewed: false };
  }

  /** Fires a timer; a failed step is held back with backoff (and alerted) while the rest goes on. */
  async function fire(timer: Timer): Promise<Step> {
    const key = timerKey(timer, requireState().endsAt);
    try {
      const renewed = await fireStep(timer);
      return { state: timerSucceeded(requireState(), key), renewed };
    } catch (error) {
      const held = timerFailed(requireState(), input.subscriptionId, key, timer.kind, errorType(error), Date.now());
      log.error('lifecycle step failed; held back', {
        subscriptionId: input.subscriptionId,
        step: key,
        attempt: held.retry.attempt,
        error: held.retry.error,
      });
      if (held.alert !== null) alertsDue.push(held.alert);
      return { state: held.state, renewed: false };
    }
  }

  for (;;) {
    const { state: rest, due } = takeDue(requireState(), Date.now());
    state = rest;
    for (const item of due) {
      const { work, ...retry } = item;
      enqueue({ ...work, retry });
    }
    const current = requireState();
    if ((current.phase === 'cancelled' || current.phase === 'expired') && inbox.length === 0 && current.parked.length === 0) break;
    let renewed = false;
    if (inbox.length === 0) {
      const timer = nextTimer(current, Date.now());
      const wakeAt = Math.min(timer?.atMs ?? Infinity, nextParkedAtMs(current) ?? Infinity);
      const arrived = await condition(() => inbox.length > 0, wakeAt === Infinity ? undefined : Math.max(1, wakeAt - Date.now()));
      if (!arrived && timer !== null && timer.atMs <= Date.now()) ({ state, renewed } = await fire(timer));
    }
    const work = takeNext(inbox);
    if (work !== undefined) {
      const step = await run(work);
      state = step.state;
      renewed = step.renewed || renewed;
    }
    for (const alert of alertsDue.splice(0))
      await effects.alert('work_parked', alert.key, alert.summary, alert.paymentId === undefined ? {} : { paymentId: alert.paymentId });
    state = { ...requireState(), eventsThisRun: requireState().eventsThisRun + 1 };
    const info = workflowInfo();
    const suggested =
      info.continueAsNewSuggested || info.historyLength >= MAX_HISTORY_EVENTS || state.eventsThisRun >= state.settings.maxEventsPerRun;
    if ((renewed || suggested) && inbox.length === 0) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof subscriptionWorkflow>({ ...input, state: { ...requireState(), eventsThisRun: 0 } });
    }
  }
  await condition(allHandlersFinished);
  return requireState();
}
