/**
 * In-memory stand-ins for the subscription workflow's activities, for workflow tests on the
 * time-skipping server: they keep a tiny "database" and record every call, so tests assert on
 * what the workflow did (which keys were delivered, which reminders went out) without Postgres
 * or panels. The real activities have their own tests against real Postgres and the fakes.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { LifecycleActivities, NotifyInput, SubscriptionSnapshot } from '../../activities/lifecycle-activity-types';
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
}

/** The fake activities plus what they recorded. */
export interface FakeLifecycle {
  activities: Record<string, (...args: never[]) => Promise<unknown>>;
  calls: { name: string; input: unknown; at: number }[];
  notifications: (NotifyInput & { at: number })[];
  subscription: SubscriptionSnapshot;
  namesCalled(name: string): number;
}

/** Builds fresh fake activities for one subscription. */
export function createFakeLifecycle(subscriptionId: number, userId: number, options: FakeLifecycleOptions = {}): FakeLifecycle {
  const calls: FakeLifecycle['calls'] = [];
  const notifications: FakeLifecycle['notifications'] = [];
  const applied = new Set<number>();
  const extensions = new Set<string>();
  const sentKeys = new Set<string>();
  let failuresLeft = options.provisionFailures ?? 0;
  const servers = [...(options.servers ?? [1, 2, 3])];
  const subscription: SubscriptionSnapshot = { subscriptionId, userId, planId: 1, status: 'pending', endsAt: null, serverId: null };
  const clock = options.now ?? (async () => Date.now());
  let lastNow = 0;
  const record = (name: string, input: unknown) => calls.push({ name, input, at: lastNow });
  const tick = async () => (lastNow = await clock());
  const extend = async (days: number) => {
    const now = await tick();
    const base = subscription.status === 'active' && subscription.endsAt !== null && Date.parse(subscription.endsAt) > now ? Date.parse(subscription.endsAt) : now;
    subscription.endsAt = new Date(base + days * DAY_MS).toISOString();
    subscription.status = 'active';
  };

  const lifecycle: LifecycleActivities = {
    async getSubscriptionSnapshot() {
      return { ...subscription };
    },
    async applyPayment({ paymentId }) {
      record('applyPayment', { paymentId });
      if (applied.has(paymentId)) return { applied: false, snapshot: { ...subscription } };
      applied.add(paymentId);
      await extend(options.paymentDays?.(paymentId) ?? 30);
      return { applied: true, snapshot: { ...subscription } };
    },
    async grantTrial({ days }) {
      record('grantTrial', { days });
      await extend(days);
      return { applied: true, snapshot: { ...subscription } };
    },
    async extendPeriod({ days, requestId }) {
      record('extendPeriod', { days, requestId });
      if (extensions.has(requestId)) return { applied: false, snapshot: { ...subscription } };
      extensions.add(requestId);
      await extend(days);
      return { applied: true, snapshot: { ...subscription } };
    },
    async markExpired() {
      record('markExpired', {});
      if (subscription.status === 'active' && subscription.endsAt !== null && Date.parse(subscription.endsAt) <= (await tick())) {
        subscription.status = 'expired';
        return { changed: true, snapshot: { ...subscription } };
      }
      return { changed: false, snapshot: { ...subscription } };
    },
    async markCancelled() {
      record('markCancelled', {});
      const changed = subscription.status !== 'cancelled';
      subscription.status = 'cancelled';
      return { changed, snapshot: { ...subscription } };
    },
    async refundToBalance({ paymentId }) {
      record('refundToBalance', { paymentId });
      return { refunded: true, amountKopecks: '24900' };
    },
    async payReferralBonus({ paymentId }) {
      record('payReferralBonus', { paymentId });
      return { credited: false, referrerUserId: null, amountKopecks: '0' };
    },
    async tryAutoRenew() {
      record('tryAutoRenew', {});
      if (options.autoRenew === 'renew') {
        const paymentId = 10_000 + calls.filter((call) => call.name === 'tryAutoRenew').length;
        applied.add(paymentId);
        await extend(30);
        return { renewed: true, paymentId, snapshot: { ...subscription } };
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
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        throw ApplicationFailure.create({ type: 'PANEL_UNAVAILABLE', message: 'panel down', nonRetryable: false });
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
      getLifecycleSettings: async () => ({ ...DEFAULT_LIFECYCLE_SETTINGS, ...options.settings }),
    } as unknown as FakeLifecycle['activities'],
    calls,
    notifications,
    subscription,
    namesCalled: (name) => calls.filter((call) => call.name === name).length,
  };
}
