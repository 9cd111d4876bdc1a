import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { LifecycleActivities, LifecycleActor, NotifyInput, SubscriptionSnapshot } from '../activities/lifecycle-activity-types';
import type { PanelActivities } from '../activities/panel-activities';
import type { SettingsActivities } from '../activities/settings-activities';
import { ActivityProfile } from './activity-options';
import {
  DEFAULT_LIFECYCLE_SETTINGS,
  hoursLeft,
  initialState,
  markRemindersUpTo,
  nextTimer,
  periodOutcome,
  rememberPayment,
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
import { actorOf, publish, type Work, type WorkInput } from './subscription-work';

/** Input of `subscription-{subscriptionId}`. */
export interface SubscriptionWorkflowInput {
  subscriptionId: number;
  userId: number;
  planId: number;
  /** Carried state after continue-as-new; absent on first start. */
  state?: SubscriptionState;
}

const db = proxyActivities<LifecycleActivities & SettingsActivities>(ActivityProfile.database);
const telegram = proxyActivities<Pick<LifecycleActivities, 'notifyUser'>>(ActivityProfile.telegram);
const panel = proxyActivities<PanelActivities>(ActivityProfile.panel);

/**
 * The life of one subscription: wait for a payment or a trial, provision the key on a panel and
 * deliver it, remind before the end, disable at the end, re-enable on a payment within the grace
 * window, delete the client after it. Every change goes through one loop, so signals, updates
 * and timers never interleave; decisions are the pure functions of subscription-lifecycle.ts.
 */
export async function subscriptionWorkflow(input: SubscriptionWorkflowInput): Promise<SubscriptionState> {
  let state: SubscriptionState | undefined = input.state;
  const inbox: Work[] = [];
  const results = new Map<number, unknown>();
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

  setHandler(paymentCompletedSignal, ({ paymentId }) => void enqueue({ type: 'payment', paymentId }));
  setHandler(trialGrantedSignal, ({ days }) => void enqueue({ type: 'trial', days }));
  setHandler(cancelSignal, (signal: CancelSignal) => void enqueue({ type: 'cancel', actor: actorOf(signal, input.userId) }));
  setHandler(ensureClientSignal, () => void enqueue({ type: 'ensureClient' }));
  setHandler(moveToServerSignal, ({ fromServerId }) => void enqueue({ type: 'move', fromServerId }));
  setHandler(getStateQuery, () => visibleState());
  setHandler(extendUpdate, async (update) => awaitResult<{ endsAt: string | null }>(enqueue({ type: 'extend', update })), { validator: validateExtend });
  setHandler(refundToBalanceUpdate, async (update) => awaitResult<{ amountKopecks: string }>(enqueue({ type: 'refund', update })), {
    validator: (update) => validateRefund(update, visibleState()),
  });
  setHandler(
    moveToServerUpdate,
    async (update: MoveUpdate) => {
      const move: WorkInput = { type: 'move', fromServerId: requireState().serverId ?? 0, ...(update.toServerId === undefined ? {} : { toServerId: update.toServerId }) };
      return awaitResult<{ serverId: number | null }>(enqueue(move));
    },
    {
      validator: (update) => validateMove(update, visibleState()),
    },
  );
  setHandler(cancelUpdate, async (signal: CancelSignal) => {
    await awaitResult(enqueue({ type: 'cancel', actor: actorOf(signal, input.userId) }));
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

  state ??= initialState(await db.getLifecycleSettings());
  publish(state);

  /**
   * Messages are best effort: a user who blocked the bot, or a Telegram outage longer than the
   * activity's retries, must not stop the subscription's life. The outbox row records the failure.
   */
  const notify = async (kind: NotifyInput['kind'], key: string, params: NotifyInput['params'] = {}, withQr = false): Promise<void> => {
    try {
      await telegram.notifyUser({ userId: input.userId, subscriptionId: input.subscriptionId, kind, key: `${kind}:${input.subscriptionId}:${key}`, params, withQr });
    } catch {
      log.warn('notification not delivered', { kind, subscriptionId: input.subscriptionId });
    }
  };

  /** Provisions (or moves) the client, telling the user if it takes long; never gives up on a paid order. */
  async function provision(move?: { fromServerId: number; toServerId?: number }): Promise<void> {
    const current = requireState();
    state = { ...current, phase: current.phase === 'active' ? 'active' : 'provisioning' };
    publish(state);
    let delayed = false;
    for (let attempt = 1; ; attempt += 1) {
      let outcome: { serverId: number } | Error | undefined;
      const running = panel.provisionClient({ subscriptionId: input.subscriptionId, ...(move === undefined ? {} : { move }) }).then(
        (result) => (outcome = result),
        (error: unknown) => (outcome = error instanceof Error ? error : new Error(String(error))),
      );
      if (!delayed && !(await condition(() => outcome !== undefined, requireState().settings.provisionDelayNoticeSeconds * 1000))) {
        delayed = true;
        await notify('provision_delayed', `${requireState().endsAt}`);
      }
      await running;
      if (outcome !== undefined && !(outcome instanceof Error)) {
        state = { ...requireState(), phase: 'active', serverId: outcome.serverId };
        publish(state);
        return;
      }
      log.warn('provisioning failed; retrying in an hour', { attempt, subscriptionId: input.subscriptionId });
      await sleep('1 hour');
    }
  }

  /** Applies a new period from the database snapshot: provision, extend or re-enable. */
  async function applyPeriod(snapshot: SubscriptionSnapshot, source: 'payment' | 'trial' | 'extend' | 'autoRenew'): Promise<boolean> {
    const before = requireState();
    const outcome = periodOutcome(before.phase);
    state = { ...before, endsAt: snapshot.endsAt, serverId: snapshot.serverId ?? before.serverId };
    if (outcome === 'provision') {
      await provision();
      await notify(source === 'trial' ? 'trial_started' : 'key_delivered', `${snapshot.endsAt}`, { endsAt: snapshot.endsAt }, true);
      return false;
    }
    if (outcome === 'extend') {
      await panel.extendClient({ subscriptionId: input.subscriptionId, expiresAt: snapshot.endsAt ?? '' });
      await notify(source === 'autoRenew' ? 'auto_renewed' : 'renewed', `${snapshot.endsAt}`, { endsAt: snapshot.endsAt });
    } else if (outcome === 'reenable') {
      state = { ...requireState(), phase: 'active' };
      await panel.enableClient({ subscriptionId: input.subscriptionId, expiresAt: snapshot.endsAt ?? '' });
      await notify('reenabled', `${snapshot.endsAt}`, { endsAt: snapshot.endsAt });
    }
    state = { ...requireState(), renewals: requireState().renewals + 1 };
    publish(state);
    return outcome !== 'none';
  }

  async function handle(work: Work): Promise<{ result: unknown; renewed: boolean }> {
    switch (work.type) {
      case 'payment': {
        if (requireState().seenPaymentIds.includes(work.paymentId)) return { result: null, renewed: false };
        // Applied first, remembered after: a failure here leaves the payment to be retried.
        const period = await db.applyPayment({ subscriptionId: input.subscriptionId, paymentId: work.paymentId });
        state = rememberPayment(requireState(), work.paymentId).state;
        if (!period.applied) return { result: null, renewed: false };
        const renewed = await applyPeriod(period.snapshot, 'payment');
        await db.payReferralBonus({ paymentId: work.paymentId });
        return { result: null, renewed };
      }
      case 'trial': {
        if (requireState().phase !== 'awaiting_payment') return { result: null, renewed: false };
        const period = await db.grantTrial({ subscriptionId: input.subscriptionId, days: work.days });
        if (period.applied) await applyPeriod(period.snapshot, 'trial');
        return { result: null, renewed: false };
      }
      case 'extend': {
        const { update } = work;
        const period = await db.extendPeriod({
          subscriptionId: input.subscriptionId,
          days: update.days,
          requestId: update.requestId,
          actor: { type: 'operator', telegramId: update.operatorTelegramId },
        });
        const renewed = period.applied ? await applyPeriod(period.snapshot, 'extend') : false;
        return { result: { endsAt: period.snapshot.endsAt }, renewed };
      }
      case 'refund': {
        const refund = await db.refundToBalance({
          subscriptionId: input.subscriptionId,
          paymentId: work.update.paymentId,
          actor: { type: 'operator', telegramId: work.update.operatorTelegramId },
        });
        await notify('refunded', `${work.update.paymentId}`, { amountKopecks: refund.amountKopecks });
        await endSubscription({ type: 'operator', telegramId: work.update.operatorTelegramId }, false);
        return { result: { amountKopecks: refund.amountKopecks }, renewed: false };
      }
      case 'move': {
        const current = requireState();
        if (current.phase !== 'active' || current.serverId !== work.fromServerId) return { result: { serverId: current.serverId }, renewed: false };
        await provision({ fromServerId: work.fromServerId, ...(work.toServerId === undefined ? {} : { toServerId: work.toServerId }) });
        await notify('moved', `${work.fromServerId}->${requireState().serverId}`, {}, true);
        // Two-phase move: the new client is live and the row names it; only now does the old one go.
        // Best effort: a dead old panel defers it to the reconciler, and nothing here may fail the move.
        if (patched('move-deletes-old-client') && requireState().serverId !== work.fromServerId) {
          try {
            await panel.deleteClient({ subscriptionId: input.subscriptionId, serverId: work.fromServerId, reason: 'moved' });
          } catch {
            log.warn('old client not deleted after a move; the reconciler will', { subscriptionId: input.subscriptionId, fromServerId: work.fromServerId });
          }
        }
        return { result: { serverId: requireState().serverId }, renewed: false };
      }
      case 'ensureClient': {
        // Only a live subscription gets its client back; provisionClient is idempotent.
        if (requireState().phase === 'active' || requireState().phase === 'provisioning') await provision();
        return { result: null, renewed: false };
      }
      case 'cancel':
        await endSubscription(work.actor, true);
        return { result: null, renewed: false };
    }
  }

  /** Cancels: the key stops working at once and its client is removed from the panel. */
  async function endSubscription(actor: LifecycleActor, tell: boolean): Promise<void> {
    const current = requireState();
    if (current.phase === 'cancelled' || current.phase === 'expired') return;
    await db.markCancelled({ subscriptionId: input.subscriptionId, actor });
    if (current.serverId !== null) {
      await panel.disableClient({ subscriptionId: input.subscriptionId });
      await panel.deleteClient({ subscriptionId: input.subscriptionId, serverId: current.serverId });
    }
    state = { ...requireState(), phase: 'cancelled' };
    publish(state);
    if (tell) await notify('cancelled', 'final');
  }

  async function fire(timer: Timer): Promise<boolean> {
    const current = requireState();
    const endsAt = current.endsAt ?? '';
    switch (timer.kind) {
      case 'reminder':
        await notify('reminder', `${endsAt}:${timer.offsetHours}h`, { endsAt, hoursLeft: hoursLeft(endsAt, Date.now()) });
        state = markRemindersUpTo(requireState(), Date.now());
        return false;
      case 'autoRenew': {
        state = { ...current, autoRenewTriedFor: endsAt };
        const renewal = await db.tryAutoRenew({ subscriptionId: input.subscriptionId, endsAt });
        if (renewal.renewed) {
          state = rememberPayment(requireState(), renewal.paymentId).state;
          return applyPeriod(renewal.snapshot, 'autoRenew');
        }
        if (renewal.reason === 'insufficient-balance') await notify('auto_renew_topup', endsAt, { endsAt });
        return false;
      }
      case 'expire': {
        const expired = await db.markExpired({ subscriptionId: input.subscriptionId });
        if (!expired.changed && expired.snapshot.status === 'active' && expired.snapshot.endsAt !== endsAt) {
          state = { ...current, endsAt: expired.snapshot.endsAt };
          return false;
        }
        await panel.disableClient({ subscriptionId: input.subscriptionId });
        state = { ...requireState(), phase: 'grace' };
        publish(state);
        await notify('expired', endsAt, { endsAt, graceHours: current.settings.graceHours });
        return false;
      }
      case 'graceOver':
        if (current.serverId !== null) await panel.deleteClient({ subscriptionId: input.subscriptionId, serverId: current.serverId });
        state = { ...requireState(), phase: 'expired' };
        publish(state);
        return false;
    }
  }

  for (;;) {
    const current = requireState();
    if ((current.phase === 'cancelled' || current.phase === 'expired') && inbox.length === 0) break;
    let renewed = false;
    if (inbox.length === 0) {
      const timer = nextTimer(current, Date.now());
      const arrived = await condition(() => inbox.length > 0, timer === null ? undefined : Math.max(1, timer.atMs - Date.now()));
      if (!arrived && timer !== null) {
        try {
          renewed = await fire(timer);
        } catch {
          // Every activity already retried for its profile's budget; try the step again later
          // rather than fail the subscription (a paid period must still end, a key still disable).
          log.error('lifecycle step failed; retrying in 10 minutes', { timer: timer.kind, subscriptionId: input.subscriptionId });
          await sleep('10 minutes');
        }
      }
    }
    const work = inbox.shift();
    if (work !== undefined) {
      try {
        const outcome = await handle(work);
        results.set(work.id, outcome.result);
        renewed ||= outcome.renewed;
      } catch (error) {
        if (work.type === 'payment' || work.type === 'trial') {
          // Money was taken: never drop it. Try again after a pause; the activities are idempotent.
          log.error('applying a period failed; retrying in a minute', { type: work.type, subscriptionId: input.subscriptionId });
          inbox.push(work);
          await sleep('1 minute');
        } else {
          // Updates get the error back; a failed operator signal is logged.
          results.set(work.id, error instanceof Error ? error : new Error(String(error)));
          log.error('subscription work failed', { type: work.type, subscriptionId: input.subscriptionId });
        }
      }
    }
    state = { ...requireState(), eventsThisRun: requireState().eventsThisRun + 1 };
    const suggested = workflowInfo().continueAsNewSuggested || state.eventsThisRun >= state.settings.maxEventsPerRun;
    if ((renewed || suggested) && inbox.length === 0) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof subscriptionWorkflow>({ ...input, state: { ...requireState(), eventsThisRun: 0 } });
    }
  }
  await condition(allHandlersFinished);
  return requireState();
}
