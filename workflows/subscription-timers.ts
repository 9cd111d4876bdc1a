/**
 * The subscription workflow's timer steps: reminders, auto-renewal from balance (retried within
 * its lead window after a failure), expiry on the workflow's own end time, and the end of the
 * grace window. A failure is thrown for the loop to hold the step back with backoff.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import type { EffectsContext, SubscriptionEffects } from './subscription-effects';
import { hoursLeft, laterEnd, markRemindersUpTo, rememberPayment, type SubscriptionState, type Timer } from './subscription-lifecycle';
import { publish } from './subscription-work';

/** Builds the function that fires one timer over the workflow's state. */
export function createTimerSteps(ctx: EffectsContext, effects: SubscriptionEffects): (timer: Timer) => Promise<boolean> {
  const { subscriptionId } = ctx;
  const { db, panel, notify, applyPeriod, orRepairLater } = effects;
  const state = () => ctx.state();
  const update = (change: Partial<SubscriptionState>) => ctx.setState({ ...state(), ...change });

  /** Fires a timer; a failure is thrown for the loop to hold the step back and retry it later. */
  return async function fire(timer: Timer): Promise<boolean> {
    const current = state();
    const endsAt = current.endsAt ?? '';
    switch (timer.kind) {
      case 'reminder':
        await notify('reminder', `${endsAt}:${timer.offsetHours}h`, { endsAt, hoursLeft: hoursLeft(endsAt, Date.now()) });
        ctx.setState(markRemindersUpTo(state(), Date.now()));
        return false;
      case 'autoRenew': {
        // Marked tried only on an answer: a failure is retried within the lead window.
        const renewal = await db.tryAutoRenew({ subscriptionId, endsAt });
        update({ autoRenewTriedFor: endsAt });
        if (renewal.renewed) {
          ctx.setState(rememberPayment(state(), renewal.paymentId).state);
          return applyPeriod(renewal.snapshot, 'autoRenew');
        }
        if (renewal.reason === 'insufficient-balance') await notify('auto_renew_topup', endsAt, { endsAt });
        return false;
      }
      case 'expire': {
        const expired = await db.markExpired({ subscriptionId, endsAt });
        if (!expired.changed && expired.snapshot.status === 'active') {
          // A renewal landed first: follow the row's new period.
          if (laterEnd(endsAt, expired.snapshot.endsAt) === endsAt)
            throw ApplicationFailure.retryable('the period did not expire', 'EXPIRY_NOT_APPLIED');
          update({ endsAt: laterEnd(endsAt, expired.snapshot.endsAt) });
          return false;
        }
        update({ phase: expired.snapshot.status === 'cancelled' ? 'cancelled' : 'grace' });
        publish(state());
        await orRepairLater(() => ctx.panelStep(() => panel.disableClient({ subscriptionId })));
        if (state().phase === 'grace') await notify('expired', endsAt, { endsAt, graceHours: current.settings.graceHours });
        return false;
      }
      case 'graceOver':
        update({ phase: 'expired' });
        publish(state());
        if (current.serverId !== null)
          await orRepairLater(() => ctx.panelStep(() => panel.deleteClient({ subscriptionId, serverId: current.serverId ?? 0 })));
        return false;
    }
  };
}
