/**
 * What the subscription workflow does for each work item and timer: the activity calls, in order,
 * and the state they lead to. Decisions come from the activities' recorded results and the
 * workflow's own state (subscription-lifecycle.ts), never from "which call applied it", so a
 * retried step after a lost completion does exactly what the first would have.
 */
import { condition, isCancellation, log, patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { AlertActivities, AlertKind } from '../activities/contracts/alert-activities';
import type { LifecycleActivities, LifecycleActor, NotifyInput, SubscriptionSnapshot } from '../activities/contracts/lifecycle-activities';
import type { PanelActivities } from '../activities/contracts/panel-activities';
import { ActivityProfile, LOCAL_DATABASE_STEPS_PATCH, LocalActivityProfile } from './activity-options';
import {
  laterEnd,
  markRemindersUpTo,
  periodDecision,
  rememberPayment,
  type ParkableWork,
  type SubscriptionState,
} from './subscription-lifecycle';
import { publish, type Work } from './subscription-work';

const db = proxyActivities<LifecycleActivities>(ActivityProfile.database);
const localDb = proxyLocalActivities<Pick<LifecycleActivities, 'applyPayment' | 'grantTrial'>>(LocalActivityProfile.database);
/** applyPayment and grantTrial: local activities, except in runs recorded before the patch. */
const periodSteps = () => (patched(LOCAL_DATABASE_STEPS_PATCH) ? localDb : db);
const telegram = proxyActivities<Pick<LifecycleActivities, 'notifyUser'>>(ActivityProfile.telegram);
const panel = proxyActivities<PanelActivities>(ActivityProfile.panel);
const alerts = proxyActivities<AlertActivities>(ActivityProfile.database);

/** Patch marker: a new period marks its already-passed reminders sent (runs before it sent one late). */
export const SKIP_PAST_REMINDERS_PATCH = 'skip-reminders-already-past';

/** What the effects need from the workflow around them. */
export interface EffectsContext {
  subscriptionId: number;
  userId: number;
  state(): SubscriptionState;
  setState(next: SubscriptionState): void;
  /** Parks follow-up work (a panel step that failed after its database step committed). */
  followUp(work: ParkableWork, error: unknown): void;
  /** Runs a panel call that control work may interrupt (a cancel never waits behind it). */
  panelStep<T>(call: () => Promise<T>): Promise<T>;
}

/** What handling one work item produced: the update's answer, and whether a period was renewed. */
export interface Handled {
  result: unknown;
  renewed: boolean;
}

/** Builds the effects over the workflow's state. */
export function createSubscriptionEffects(ctx: EffectsContext) {
  const { subscriptionId, userId } = ctx;
  const state = () => ctx.state();
  const update = (change: Partial<SubscriptionState>) => ctx.setState({ ...state(), ...change });

  /**
   * Messages are best effort: a user who blocked the bot, or a Telegram outage longer than the
   * activity's retries, must not stop the subscription's life. The outbox row records the failure.
   * An interruption (cancellation) is passed on.
   */
  async function notify(kind: NotifyInput['kind'], key: string, params: NotifyInput['params'] = {}, withQr = false): Promise<void> {
    try {
      await telegram.notifyUser({ userId, subscriptionId, kind, key: `${kind}:${subscriptionId}:${key}`, params, withQr });
    } catch (error) {
      if (isCancellation(error)) throw error;
      log.warn('notification not delivered', { kind, subscriptionId });
    }
  }

  /** Tells the operators (best effort: the alert channel dedupes by key). */
  async function alert(
    kind: AlertKind,
    key: string,
    summary: string,
    extra: { paymentId?: number; serverId?: number } = {},
  ): Promise<void> {
    try {
      await alerts.alertOperators({ kind, key, summary, subscriptionId, userId, ...extra });
    } catch (error) {
      if (isCancellation(error)) throw error;
      log.warn('operator alert not delivered', { kind, subscriptionId });
    }
  }

  /** Tells the user their key is delayed, once per period, whatever the failure. */
  async function tellDelay(): Promise<void> {
    const endsAt = state().endsAt;
    if (state().delayToldFor === endsAt) return;
    await notify('provision_delayed', `${endsAt}`);
    update({ delayToldFor: endsAt });
  }

  /**
   * One provisioning (or move) attempt: the client is created and the subscription is active, or
   * the user hears about the delay (after PROVISION_DELAY_NOTICE_SECONDS of a still-running call,
   * or at once when it fails) and the error is thrown for the caller to park.
   */
  async function provision(move?: { fromServerId: number; toServerId?: number }): Promise<void> {
    update({ phase: state().phase === 'active' ? 'active' : 'provisioning' });
    publish(state());
    let outcome: { serverId: number } | Error | undefined;
    const running = ctx
      .panelStep(() => panel.provisionClient({ subscriptionId, ...(move === undefined ? {} : { move }) }))
      .then(
        (result) => (outcome = result),
        (error: unknown) => (outcome = error instanceof Error ? error : new Error(String(error))),
      );
    if (
      state().delayToldFor !== state().endsAt &&
      !(await condition(() => outcome !== undefined, state().settings.provisionDelayNoticeSeconds * 1000))
    ) {
      await tellDelay();
    }
    await running;
    if (outcome === undefined || outcome instanceof Error) {
      if (isCancellation(outcome)) throw outcome;
      await tellDelay();
      throw outcome ?? new Error('provisioning ended without a result');
    }
    update({ phase: 'active', serverId: outcome.serverId });
    publish(state());
  }

  /** Provisions and sends the key (with its QR code). */
  async function provisionAndDeliver(kind: 'key_delivered' | 'trial_started'): Promise<void> {
    await provision();
    const endsAt = state().endsAt;
    await notify(kind, `${endsAt}`, { endsAt }, true);
  }

  /** Runs a panel step; when it fails, parks a client repair instead (the period is already in effect). */
  async function orRepairLater(step: () => Promise<unknown>): Promise<boolean> {
    try {
      await step();
      return true;
    } catch (error) {
      if (isCancellation(error)) throw error;
      ctx.followUp({ type: 'ensureClient' }, error);
      return false;
    }
  }

  /** Gives a paid period back its live client in the grace window: a slot first, then the same key. */
  async function reenable(): Promise<boolean> {
    update({ phase: 'provisioning' });
    return orRepairLater(async () => {
      const before = state().serverId;
      const { serverId } = await db.holdServerSlot({ subscriptionId });
      if (serverId === before) {
        await ctx.panelStep(() => panel.enableClient({ subscriptionId, expiresAt: state().endsAt ?? '' }));
        update({ phase: 'active', serverId });
        publish(state());
        await notify('reenabled', `${state().endsAt}`, { endsAt: state().endsAt });
      } else {
        // The old server has no room any more: a new client (new key) on the slot's server.
        update({ serverId });
        await provisionAndDeliver('key_delivered');
      }
    });
  }

  /**
   * Applies a period change's recorded result: provision (awaiting payment, provisioning, expired),
   * extend the panel expiry (active), re-enable (grace), or nothing (cancelled, or the state already
   * knows this period). A failed panel step parks a client repair; the period stays in effect.
   */
  async function applyPeriod(snapshot: SubscriptionSnapshot, source: 'payment' | 'trial' | 'extend' | 'autoRenew'): Promise<boolean> {
    if (snapshot.status === 'cancelled') {
      update({ phase: 'cancelled' });
      publish(state());
      return false;
    }
    const outcome = periodDecision(state(), snapshot.endsAt);
    update({ endsAt: laterEnd(state().endsAt, snapshot.endsAt), serverId: snapshot.serverId ?? state().serverId });
    // Reminders whose moment had already passed when the period was set (a 72 h reminder on a
    // 24 h trial) are never sent: they count as sent for this period.
    if (patched(SKIP_PAST_REMINDERS_PATCH)) ctx.setState(markRemindersUpTo(state(), Date.now()));
    publish(state());
    switch (outcome) {
      case 'none':
        return false;
      case 'provision':
        await orRepairLater(() => provisionAndDeliver(source === 'trial' ? 'trial_started' : 'key_delivered'));
        return false;
      case 'extend': {
        const endsAt = state().endsAt;
        await orRepairLater(() => ctx.panelStep(() => panel.extendClient({ subscriptionId, expiresAt: endsAt ?? '' })));
        await notify(source === 'autoRenew' ? 'auto_renewed' : 'renewed', `${endsAt}`, { endsAt });
        break;
      }
      case 'reenable':
        await reenable();
        break;
    }
    update({ renewals: state().renewals + 1 });
    return true;
  }

  /** Brings the panel client in line with the phase: live when active, disabled in grace, gone at the end. */
  async function ensureClient(): Promise<void> {
    const current = state();
    switch (current.phase) {
      case 'provisioning':
        return provisionAndDeliver('key_delivered');
      case 'active':
        return provision();
      case 'grace':
        await ctx.panelStep(() => panel.disableClient({ subscriptionId }));
        return;
      case 'expired':
      case 'cancelled':
        if (current.serverId === null) return;
        await ctx.panelStep(() => panel.disableClient({ subscriptionId }));
        await ctx.panelStep(() => panel.deleteClient({ subscriptionId, serverId: current.serverId ?? 0 }));
        return;
      case 'awaiting_payment':
        return;
    }
  }

  /** Cancels: the key stops working at once and its client is removed from the panel. */
  async function endSubscription(actor: LifecycleActor, tell: boolean): Promise<void> {
    const current = state();
    if (current.phase === 'cancelled' || current.phase === 'expired') return;
    await db.markCancelled({ subscriptionId, actor });
    update({ phase: 'cancelled' });
    publish(state());
    if (current.serverId !== null) await orRepairLater(ensureClient);
    if (tell) await notify('cancelled', 'final');
  }

  return { notify, alert, provision, applyPeriod, ensureClient, endSubscription, handle, orRepairLater, panel, db };

  async function handle(work: Work): Promise<Handled> {
    switch (work.type) {
      case 'payment': {
        if (state().seenPaymentIds.includes(work.paymentId)) return { result: null, renewed: false };
        const period = await periodSteps().applyPayment({ subscriptionId, paymentId: work.paymentId });
        let renewed = false;
        if (period.creditedToBalance !== undefined) {
          if (period.snapshot.status === 'cancelled' && state().phase !== 'expired') update({ phase: 'cancelled' });
          await notify('payment_credited', `${work.paymentId}`, { amountKopecks: period.creditedToBalance.amountKopecks });
        } else if (period.applied) {
          renewed = await applyPeriod(period.snapshot, 'payment');
        }
        ctx.setState(rememberPayment(state(), work.paymentId).state);
        if (period.applied) await payReferralBonus(work.paymentId);
        return { result: null, renewed };
      }
      case 'referral':
        await db.payReferralBonus({ paymentId: work.paymentId });
        return { result: null, renewed: false };
      case 'trial': {
        if (state().phase !== 'awaiting_payment' && state().phase !== 'provisioning') return { result: null, renewed: false };
        const period = await periodSteps().grantTrial({
          subscriptionId,
          days: work.days,
          ...(work.seconds === undefined ? {} : { seconds: work.seconds }),
        });
        if (period.applied) await applyPeriod(period.snapshot, 'trial');
        return { result: null, renewed: false };
      }
      case 'extend': {
        const { update: request } = work;
        const period = await db.extendPeriod({
          subscriptionId,
          days: request.days,
          requestId: request.requestId,
          actor: { type: 'operator', telegramId: request.operatorTelegramId },
        });
        const renewed = period.applied ? await applyPeriod(period.snapshot, 'extend') : false;
        return { result: { endsAt: period.snapshot.endsAt }, renewed };
      }
      case 'refund': {
        const refund = await db.refundToBalance({
          subscriptionId,
          paymentId: work.update.paymentId,
          actor: { type: 'operator', telegramId: work.update.operatorTelegramId },
        });
        await notify('refunded', `${work.update.paymentId}`, { amountKopecks: refund.amountKopecks });
        await endSubscription({ type: 'operator', telegramId: work.update.operatorTelegramId }, false);
        return { result: { amountKopecks: refund.amountKopecks }, renewed: false };
      }
      case 'move': {
        const current = state();
        if (current.phase !== 'active' || current.serverId !== work.fromServerId)
          return { result: { serverId: current.serverId }, renewed: false };
        await provision({ fromServerId: work.fromServerId, ...(work.toServerId === undefined ? {} : { toServerId: work.toServerId }) });
        await notify('moved', `${work.fromServerId}->${state().serverId}`, {}, true);
        // Two-phase move: the new client is live and the row names it; only now does the old one go.
        // Best effort: a dead old panel defers it to the reconciler, and nothing here may fail the move.
        if (patched('move-deletes-old-client') && state().serverId !== work.fromServerId) {
          try {
            await panel.deleteClient({ subscriptionId, serverId: work.fromServerId, reason: 'moved' });
          } catch {
            log.warn('old client not deleted after a move; the reconciler will', { subscriptionId, fromServerId: work.fromServerId });
          }
        }
        return { result: { serverId: state().serverId }, renewed: false };
      }
      case 'ensureClient':
        await ensureClient();
        return { result: null, renewed: false };
      case 'cancel':
        await endSubscription(work.actor, true);
        return { result: null, renewed: false };
    }
  }

  /** The referral payout of a payment; a failure parks it on its own (the period is in effect). */
  async function payReferralBonus(paymentId: number): Promise<void> {
    try {
      await db.payReferralBonus({ paymentId });
    } catch (error) {
      if (isCancellation(error)) throw error;
      ctx.followUp({ type: 'referral', paymentId }, error);
    }
  }
}

/** The effects' interface. */
export type SubscriptionEffects = ReturnType<typeof createSubscriptionEffects>;
