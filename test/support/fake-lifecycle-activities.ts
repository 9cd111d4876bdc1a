/**
 * In-memory stand-ins for the subscription workflow's activities, for workflow tests on the
 * time-skipping server: they keep a tiny "database" and record every call, so tests assert on
 * what the workflow did (which keys were delivered, which reminders went out) without Postgres
 * or panels. The real activities have their own tests against real Postgres and the fakes.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { AlertInput } from '../../activities/contracts/alert-activities';
import type { LifecycleActivities, NotifyInput, PeriodResult, SubscriptionSnapshot } from '../../activities/contracts/lifecycle-activities';
import { DEFAULT_LIFECYCLE_SETTINGS, type LifecycleSettings } from '../../workflows/subscription-lifecycle';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Options for {@link createFakeLifecycle}. */
export interface FakeLifecycleOptions {
  settings?: Partial<LifecycleSettings>;
  /** Days each payment id buys (default 30). */
  paymentDays?: (paymentId: number) => number;
  /** How many provisionClient attempts fail with PANEL_UNAVAILABLE before one succeeds. */
  provisionFailures?: number;
  /** Server ids handed out by provisioning, in order. */
  servers?: number[];
  /** The clock workflows see (the time-skipping server's), in epoch ms; default the real one. */
  now?: () => Promise<number>;
  /** What auto-renewal finds: 'renew' (balance covers it), 'insufficient', default not opted in. */
  autoRenew?: 'renew' | 'insufficient';
  /** Error type of the provisioning failures (default PANEL_UNAVAILABLE, retryable); PANEL_* auth/config ones are non-retryable. */
  provisionFailureType?: string;
  /** provisionClient hangs (heartbeating) until cancelled, for at most this many real ms. */
  provisionHangMs?: number;
  /** applyPayment fails before committing while this returns true (called with the payment id). */
  applyPaymentFails?: (paymentId: number) => boolean;
  /** How many applyPayment calls commit and then fail (a completion lost after the commit). */
  applyPaymentLostCompletions?: number;
  /** How many tryAutoRenew calls fail before committing (a database blip). */
  autoRenewFailures?: number;
  /** holdServerSlot finds the old server full and claims a slot on this one instead. */
  slotElsewhere?: number;
}

/** The fake activities plus what they recorded. */
export interface FakeLifecycle {
  activities: Record<string, (...args: never[]) => Promise<unknown>>;
  calls: { name: string; input: unknown; at: number }[];
  notifications: (NotifyInput & { at: number })[];
  alerts: AlertInput[];
  subscription: SubscriptionSnapshot;
  namesCalled(name: string): number;
}

/** Builds fresh fake activities for one subscription. */
export function createFakeLifecycle(subscriptionId: number, userId: number, options: FakeLifecycleOptions = {}): FakeLifecycle {
  const calls: FakeLifecycle['calls'] = [];
  const notifications: FakeLifecycle['notifications'] = [];
  const applied = new Map<number, PeriodResult>();
  const extensions = new Map<string, PeriodResult>();
  const renewals = new Map<string, { renewed: true; paymentId: number; snapshot: SubscriptionSnapshot }>();
  let trial: PeriodResult | undefined;
  const alerts: AlertInput[] = [];
  let lostCompletions = options.applyPaymentLostCompletions ?? 0;
  let autoRenewFailures = options.autoRenewFailures ?? 0;
  const sentKeys = new Set<string>();
  let failuresLeft = options.provisionFailures ?? 0;
  const servers = [...(options.servers ?? [1, 2, 3])];
  const subscription: SubscriptionSnapshot = { subscriptionId, userId, planId: 1, status: 'pending', endsAt: null, serverId: null };
  const clock = options.now ?? (async () => Date.now());
  let lastNow = 0;
  const record = (name: string, input: unknown) => calls.push({ name, input, at: lastNow });
  const tick = async () => (lastNow = await clock());
  const extend = async (days: number, seconds?: number) => {
    const now = await tick();
    const base =
      subscription.status === 'active' && subscription.endsAt !== null && Date.parse(subscription.endsAt) > now
        ? Date.parse(subscription.endsAt)
        : now;
    subscription.endsAt = new Date(base + (seconds === undefined ? days * DAY_MS : seconds * 1000)).toISOString();
    subscription.status = 'active';
  };

  const lifecycle: LifecycleActivities = {
    async getSubscriptionSnapshot() {
      return { ...subscription };
    },
    async applyPayment({ paymentId }) {
      record('applyPayment', { paymentId });
      const before = applied.get(paymentId);
      if (before !== undefined) return before;
      if (options.applyPaymentFails?.(paymentId) === true)
        throw ApplicationFailure.create({ type: 'DATABASE_UNAVAILABLE', message: 'database down', nonRetryable: true });
      let result: PeriodResult;
      if (subscription.status === 'cancelled') {
        result = { applied: false, snapshot: { ...subscription }, creditedToBalance: { amountKopecks: '24900' } };
      } else {
        await extend(options.paymentDays?.(paymentId) ?? 30);
        result = { applied: true, snapshot: { ...subscription } };
      }
      applied.set(paymentId, result);
      if (lostCompletions > 0) {
        lostCompletions -= 1;
        throw ApplicationFailure.create({ type: 'WORKER_LOST', message: 'completion lost after the commit', nonRetryable: false });
      }
      return result;
    },
    async grantTrial({ days, seconds }) {
      record('grantTrial', seconds === undefined ? { days } : { days, seconds });
      if (trial !== undefined) return trial;
      await extend(days, seconds);
      trial = { applied: true, snapshot: { ...subscription } };
      return trial;
    },
    async extendPeriod({ days, requestId }) {
      record('extendPeriod', { days, requestId });
      const before = extensions.get(requestId);
      if (before !== undefined) return before;
      if (subscription.status === 'cancelled') return { applied: false, snapshot: { ...subscription } };
      await extend(days);
      const result = { applied: true, snapshot: { ...subscription } };
      extensions.set(requestId, result);
      return result;
    },
    async markExpired({ endsAt }) {
      await tick();
      record('markExpired', { endsAt });
      const ended = subscription.endsAt !== null && Date.parse(subscription.endsAt) <= Date.parse(endsAt);
      if (subscription.status === 'active' && ended) subscription.status = 'expired';
      return { changed: subscription.status === 'expired' && ended, snapshot: { ...subscription } };
    },
    async holdServerSlot() {
      record('holdServerSlot', {});
      if (options.slotElsewhere !== undefined) subscription.serverId = options.slotElsewhere;
      subscription.serverId ??= servers.shift() ?? 99;
      return { serverId: subscription.serverId };
    },
    async markCancelled() {
      record('markCancelled', {});
      subscription.status = 'cancelled';
      return { changed: true, snapshot: { ...subscription } };
    },
    async refundToBalance({ paymentId }) {
      record('refundToBalance', { paymentId });
      return { refunded: true, amountKopecks: '24900' };
    },
    async payReferralBonus({ paymentId }) {
      record('payReferralBonus', { paymentId });
      return { credited: false, referrerUserId: null, amountKopecks: '0' };
    },
    async tryAutoRenew({ endsAt }) {
      record('tryAutoRenew', { endsAt });
      const before = renewals.get(endsAt);
      if (before !== undefined) return before;
      if (autoRenewFailures > 0) {
        autoRenewFailures -= 1;
        throw ApplicationFailure.create({ type: 'DATABASE_UNAVAILABLE', message: 'database blip', nonRetryable: true });
      }
      if (options.autoRenew === 'renew') {
        const paymentId = 10_000 + renewals.size + 1;
        await extend(30);
        const result = { renewed: true as const, paymentId, snapshot: { ...subscription } };
        renewals.set(endsAt, result);
        return result;
      }
      return { renewed: false, reason: options.autoRenew === 'insufficient' ? 'insufficient-balance' : 'not-opted-in' };
    },
    async notifyUser(input) {
      record('notifyUser', input);
      if (sentKeys.has(input.key)) return { sent: false, duplicate: true };
      sentKeys.add(input.key);
      notifications.push({ ...input, at: await tick() });
      return { sent: true, duplicate: false };
    },
  };

  const panel = {
    async provisionClient(input: { subscriptionId: number; move?: { fromServerId: number } }) {
      record('provisionClient', input);
      if (options.provisionHangMs !== undefined && failuresLeft > 0) {
        failuresLeft -= 1;
        const deadline = Date.now() + options.provisionHangMs;
        while (Date.now() < deadline) {
          Context.current().heartbeat();
          await Context.current().sleep(100);
        }
        throw ApplicationFailure.create({ type: 'PANEL_UNAVAILABLE', message: 'panel hung', nonRetryable: false });
      }
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        const type = options.provisionFailureType ?? 'PANEL_UNAVAILABLE';
        throw ApplicationFailure.create({ type, message: 'panel down', nonRetryable: type !== 'PANEL_UNAVAILABLE' });
      }
      if (input.move !== undefined || subscription.serverId === null) subscription.serverId = servers.shift() ?? 99;
      return { serverId: subscription.serverId, action: 'created' };
    },
    async disableClient(input: unknown) {
      record('disableClient', input);
      return { found: true, changed: true };
    },
    async enableClient(input: unknown) {
      record('enableClient', input);
      return { serverId: subscription.serverId ?? 0, action: 'updated' };
    },
    async extendClient(input: unknown) {
      record('extendClient', input);
      return { serverId: subscription.serverId ?? 0, action: 'updated' };
    },
    async deleteClient(input: unknown) {
      record('deleteClient', input);
      return { deleted: true };
    },
  };

  return {
    activities: {
      ...lifecycle,
      ...panel,
      getLifecycleSettings: async () => {
        record('getLifecycleSettings', {});
        return { ...DEFAULT_LIFECYCLE_SETTINGS, ...options.settings };
      },
      alertOperators: async (input: AlertInput) => {
        record('alertOperators', input);
        alerts.push(input);
        return { sent: true, duplicate: false, suppressed: false };
      },
    } as unknown as FakeLifecycle['activities'],
    calls,
    notifications,
    alerts,
    subscription,
    namesCalled: (name) => calls.filter((call) => call.name === name).length,
  };
}
