/**
 * The subscription lifecycle on the time-skipping test server, with in-memory activities: a
 * 30-day plan's reminders, expiry, renewal inside and after the grace window, duplicate payment
 * signals, a panel outage during provisioning, operator updates and failover moves.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { after, before, describe, it } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../workers/create-worker';
import { createFakeLifecycle, type FakeLifecycle, type FakeLifecycleOptions } from '../test/support/fake-lifecycle-activities';
import { installQuietRuntime } from '../test/support/test-temporal';
import { indexedValueType } from '../clients/register-search-attributes';
import { SEARCH_ATTRIBUTES, subscriptionWorkflowId } from './contract';
import {
  cancelUpdate,
  ensureClientSignal,
  extendUpdate,
  getStateQuery,
  moveToServerSignal,
  paymentCompletedSignal,
  refundToBalanceUpdate,
  trialGrantedSignal,
} from './subscription-messages';
import { DEFAULT_LIFECYCLE_SETTINGS, type LifecycleSettings } from './subscription-lifecycle';
import { subscriptionWorkflow } from './subscription-workflow';

const HOUR = 60 * 60 * 1000;

/** Matches an update rejected by its validator with a message like `pattern`. */
const rejectedBecause = (pattern: RegExp) => (error: unknown) => {
  const cause = error instanceof Error ? error.cause : undefined;
  assert.match(cause instanceof Error ? cause.message : String(cause), pattern);
  return true;
};
const DAY = 24 * HOUR;
let nextSubscriptionId = 1000;

describe('subscription workflow (time-skipping)', () => {
  let env: TestWorkflowEnvironment;

  before(async () => {
    const path = process.env.TEST_TEMPORAL_TEST_SERVER;
    if (path === undefined || path === '') throw new Error('TEST_TEMPORAL_TEST_SERVER is not set: run through `npm test`');
    installQuietRuntime();
    env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
    // The Java test server has no ListSearchAttributes; it does accept AddSearchAttributes.
    await env.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, indexedValueType(key.type)])),
    });
  });
  after(async () => {
    await env?.teardown();
  });

  async function run<T>(
    options: FakeLifecycleOptions & { record?: string; inputSettings?: LifecycleSettings },
    body: (ctx: { fake: FakeLifecycle; workflowId: string; subscriptionId: number }) => Promise<T>,
  ): Promise<T> {
    const subscriptionId = nextSubscriptionId++;
    const fake = createFakeLifecycle(subscriptionId, 7, { now: () => env.currentTimeMs(), ...options });
    const taskQueue = `lifecycle-${subscriptionId}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: WORKFLOWS_PATH,
      activities: fake.activities,
    });
    return worker.runUntil(async () => {
      const workflowId = subscriptionWorkflowId(subscriptionId);
      await env.client.workflow.start(subscriptionWorkflow, {
        workflowId,
        taskQueue,
        args: [
          { subscriptionId, userId: 7, planId: 1, ...(options.inputSettings === undefined ? {} : { settings: options.inputSettings }) },
        ],
      });
      let result: T;
      try {
        result = await body({ fake, workflowId, subscriptionId });
      } finally {
        // A workflow left running without its worker would stop the test server's time skipping.
        await env.client.workflow
          .getHandle(workflowId)
          .terminate('test over')
          .catch(() => undefined);
      }
      if (process.env.RECORD_HISTORIES === '1') await recordHistory(workflowId, options.record);
      return result;
    });
  }

  /** `RECORD_HISTORIES=1 npm run test:only -- workflows/subscription-workflow.test.ts` refreshes test/histories. */
  async function recordHistory(workflowId: string, name: string | undefined): Promise<void> {
    if (name === undefined) return;
    const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
    await writeFile(new URL(`../test/histories/${name}.json`, import.meta.url), `${historyToJSON(history)}\n`);
  }

  const kinds = (fake: FakeLifecycle) => fake.notifications.map((notification) => notification.kind);

  it('runs a 30-day plan: key, reminders at T-3d and T-1d, expiry, renewal in grace, final expiry after grace', async () => {
    await run({ record: 'subscription-thirty-day-renewed-in-grace-then-expired' }, async ({ fake, workflowId }) => {
      const handle = env.client.workflow.getHandle(workflowId);
      await handle.signal(paymentCompletedSignal, { paymentId: 1 });
      await env.sleep(HOUR);
      assert.deepEqual(kinds(fake), ['key_delivered']);
      assert.equal(fake.notifications[0]?.withQr, true);
      const paidAt = Date.parse(fake.subscription.endsAt ?? '') - 30 * DAY;
      assert.ok(Math.abs(paidAt + HOUR - (await env.currentTimeMs())) < HOUR, 'the period starts at payment');

      await env.sleep(paidAt + 27 * DAY + HOUR - (await env.currentTimeMs()));
      assert.deepEqual(kinds(fake), ['key_delivered', 'reminder']);
      assert.match(fake.notifications[1]?.key ?? '', /:72h$/);
      await env.sleep(2 * DAY);
      assert.deepEqual(kinds(fake), ['key_delivered', 'reminder', 'reminder']);
      assert.match(fake.notifications[2]?.key ?? '', /:24h$/);

      await env.sleep(DAY);
      assert.deepEqual(kinds(fake).slice(-1), ['expired']);
      assert.equal(fake.namesCalled('disableClient'), 1);
      assert.equal((await handle.query(getStateQuery)).phase, 'grace');

      await handle.signal(paymentCompletedSignal, { paymentId: 2 });
      await env.sleep(HOUR);
      assert.deepEqual(kinds(fake).slice(-1), ['reenabled']);
      assert.equal(fake.namesCalled('enableClient'), 1);
      assert.equal(fake.namesCalled('provisionClient'), 1, 'the same key is re-enabled, not a new one provisioned');
      assert.equal(fake.namesCalled('holdServerSlot'), 1, 're-enabling claims a server slot first');
      const renewed = await handle.query(getStateQuery);
      assert.equal(renewed.phase, 'active');
      assert.equal(renewed.renewals, 1);
      assert.equal(renewed.eventsThisRun, 0, 'continued as new at the renewal');

      const result = await handle.result();
      assert.equal(result.phase, 'expired');
      assert.equal(fake.namesCalled('deleteClient'), 1);
      assert.deepEqual(kinds(fake).slice(-3), ['reminder', 'reminder', 'expired']);
      assert.equal(kinds(fake).filter((kind) => kind === 'reminder').length, 4, 'two reminders per period, each once');
    });
  });

  it('never sends a reminder whose moment passed before the period began (a 2-day trial gets the 24 h one only)', async () => {
    await run({ record: 'subscription-trial-skips-past-reminder' }, async ({ fake, workflowId }) => {
      const handle = env.client.workflow.getHandle(workflowId);
      await handle.signal(trialGrantedSignal, { days: 2 });
      await env.sleep(HOUR);
      assert.deepEqual(kinds(fake), ['trial_started'], 'the 72 h reminder of a 2-day trial is not sent at once');
      await env.sleep(DAY);
      assert.deepEqual(kinds(fake), ['trial_started', 'reminder']);
      assert.match(fake.notifications[1]?.key ?? '', /:24h$/);
      await env.sleep(DAY);
      assert.deepEqual(kinds(fake), ['trial_started', 'reminder', 'expired']);
    });
  });

  it("runs the key path's database steps (settings, applyPayment) as local activities: only provisionClient and notifyUser go through the server", async () => {
    await run({ record: 'subscription-local-database-steps' }, async ({ fake, workflowId }) => {
      const handle = env.client.workflow.getHandle(workflowId);
      await handle.signal(paymentCompletedSignal, { paymentId: 1 });
      await env.sleep(HOUR);
      assert.deepEqual(kinds(fake), ['key_delivered']);
      assert.equal(fake.namesCalled('applyPayment'), 1);
      const events = (await handle.fetchHistory()).events ?? [];
      const scheduled = events.flatMap((event) =>
        event.activityTaskScheduledEventAttributes?.activityType?.name == null
          ? []
          : [event.activityTaskScheduledEventAttributes.activityType.name],
      );
      assert.deepEqual(scheduled.slice(0, 2), ['provisionClient', 'notifyUser']);
      assert.ok(!scheduled.includes('getLifecycleSettings') && !scheduled.includes('applyPayment'), scheduled.join(','));
      const markers = events.filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity').length;
      assert.equal(markers, 2, 'getLifecycleSettings and applyPayment recorded as local-activity markers');
    });
  });

  it('takes the lifecycle settings from its input when the starter passes them: one local activity fewer on the key path', async () => {
    const inputSettings: LifecycleSettings = { ...DEFAULT_LIFECYCLE_SETTINGS, reminderOffsetsHours: [48], provisionDelayNoticeSeconds: 7 };
    await run({ inputSettings, record: 'subscription-settings-in-input' }, async ({ fake, workflowId }) => {
      const handle = env.client.workflow.getHandle(workflowId);
      await handle.signal(paymentCompletedSignal, { paymentId: 1 });
      await env.sleep(HOUR);
      assert.deepEqual(kinds(fake), ['key_delivered']);
      assert.equal(fake.namesCalled('getLifecycleSettings'), 0);
      assert.deepEqual((await handle.query(getStateQuery)).settings, inputSettings);
      const events = (await handle.fetchHistory()).events ?? [];
      const markers = events.filter((event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity').length;
      assert.equal(markers, 1, 'applyPayment only');
    });
  });

  it('grants a trial of `seconds` when the signal says so, and expires it on time', async () => {
    await run({}, async ({ fake, workflowId }) => {
      const handle = env.client.workflow.getHandle(workflowId);
      await handle.signal(trialGrantedSignal, { days: 3, seconds: 120 });
      await env.sleep(60_000);
      assert.deepEqual(kinds(fake).slice(0, 1), ['trial_started']);
      assert.deepEqual(fake.calls.find((call) => call.name === 'grantTrial')?.input, { days: 3, seconds: 120 });
      assert.equal((await handle.query(getStateQuery)).phase, 'active');
      await env.sleep(2 * 60_000);
      assert.equal((await handle.query(getStateQuery)).phase, 'grace');
      assert.ok(kinds(fake).includes('expired'));
    });
  });

  it('applies a payment signalled three times once', async () => {
    await run({ record: 'subscription-duplicate-payment-signals' }, async ({ fake, workflowId }) => {
      const handle = env.client.workflow.getHandle(workflowId);
      for (let i = 0; i < 3; i += 1) await handle.signal(paymentCompletedSignal, { paymentId: 5 });
      await env.sleep(HOUR);
      assert.equal(fake.namesCalled('applyPayment'), 1);
      assert.equal(fake.namesCalled('provisionClient'), 1);
      assert.deepEqual(kinds(fake), ['key_delivered']);
      assert.deepEqual((await handle.query(getStateQuery)).seenPaymentIds, [5]);
      await handle.executeUpdate(cancelUpdate, { args: [{ operatorTelegramId: 1 }] });
    });
  });

  it('tells the user the key is delayed while the panel is down, then delivers it', async () => {
    await run({ provisionFailures: 4, record: 'subscription-panel-down-then-key' }, async ({ fake, workflowId }) => {
      const handle = env.client.workflow.getHandle(workflowId);
      await handle.signal(paymentCompletedSignal, { paymentId: 9 });
      await env.sleep(2 * HOUR);
      assert.deepEqual(kinds(fake), ['provision_delayed', 'key_delivered']);
      assert.equal(fake.namesCalled('provisionClient'), 5);
      assert.equal((await handle.query(getStateQuery)).phase, 'active');
      await handle.executeUpdate(cancelUpdate, { args: [{ operatorTelegramId: 1 }] });
    });
  });

  it('starts over after the grace window: a later payment reaches a new run that provisions again', async () => {
    await run({}, async ({ fake, workflowId }) => {
      const handle = env.client.workflow.getHandle(workflowId);
      await handle.signal(paymentCompletedSignal, { paymentId: 1 });
      const first = await handle.result();
      assert.equal(first.phase, 'expired');
      assert.equal(fake.namesCalled('deleteClient'), 1);
      const again = await env.client.workflow.signalWithStart(subscriptionWorkflow, {
        workflowId,
        taskQueue: (await handle.describe()).taskQueue,
        args: [{ subscriptionId: fake.subscription.subscriptionId, userId: 7, planId: 1 }],
        signal: paymentCompletedSignal,
        signalArgs: [{ paymentId: 2 }],
      });
      await env.sleep(HOUR);
      assert.equal((await again.query(getStateQuery)).phase, 'active');
      assert.equal(fake.namesCalled('provisionClient'), 2);
      await again.executeUpdate(cancelUpdate, { args: [{ operatorTelegramId: 1 }] });
    });
  });

  it('handles operator updates: extend (once per request id), rejected refunds, refund to balance ends it', async () => {
    await run({ record: 'subscription-operator-extend-and-refund' }, async ({ fake, workflowId }) => {
      const handle = env.client.workflow.getHandle(workflowId);
      await handle.signal(paymentCompletedSignal, { paymentId: 3 });
      await env.sleep(HOUR);
      const endsBefore = Date.parse(fake.subscription.endsAt ?? '');
      const extended = await handle.executeUpdate(extendUpdate, { args: [{ days: 10, requestId: 'op-1', operatorTelegramId: 99 }] });
      assert.equal(Date.parse(extended.endsAt ?? ''), endsBefore + 10 * DAY);
      const replay = await handle.executeUpdate(extendUpdate, { args: [{ days: 10, requestId: 'op-1', operatorTelegramId: 99 }] });
      assert.equal(replay.endsAt, extended.endsAt);
      assert.equal(fake.namesCalled('extendClient'), 1);
      await assert.rejects(
        handle.executeUpdate(extendUpdate, { args: [{ days: 0, requestId: 'op-2', operatorTelegramId: 99 }] }),
        rejectedBecause(/days must be/),
      );
      await assert.rejects(
        handle.executeUpdate(refundToBalanceUpdate, { args: [{ paymentId: 404, operatorTelegramId: 99 }] }),
        rejectedBecause(/was not applied/),
      );
      const refund = await handle.executeUpdate(refundToBalanceUpdate, { args: [{ paymentId: 3, operatorTelegramId: 99 }] });
      assert.equal(refund.amountKopecks, '24900');
      const result = await handle.result();
      assert.equal(result.phase, 'cancelled');
      assert.deepEqual(kinds(fake), ['key_delivered', 'renewed', 'refunded']);
      assert.equal(fake.namesCalled('deleteClient'), 1);
    });
  });

  it('moves off a failed server once, however often failover asks', async () => {
    await run({ servers: [1, 2], record: 'subscription-failover-move' }, async ({ fake, workflowId }) => {
      const handle = env.client.workflow.getHandle(workflowId);
      await handle.signal(paymentCompletedSignal, { paymentId: 4 });
      await env.sleep(HOUR);
      assert.equal((await handle.query(getStateQuery)).serverId, 1);
      await handle.signal(moveToServerSignal, { fromServerId: 1, reason: 'failover' });
      await handle.signal(moveToServerSignal, { fromServerId: 1, reason: 'failover' });
      await env.sleep(HOUR);
      assert.equal((await handle.query(getStateQuery)).serverId, 2);
      assert.equal(fake.namesCalled('provisionClient'), 2);
      assert.deepEqual(kinds(fake), ['key_delivered', 'moved']);
      await handle.executeUpdate(cancelUpdate, { args: [{ operatorTelegramId: 1 }] });
    });
  });
  it('renews from balance a day before the end when the user opted in, and asks for a top-up when short', async () => {
    await run({ autoRenew: 'renew', record: 'subscription-auto-renewed-from-balance' }, async ({ fake, workflowId }) => {
      const handle = env.client.workflow.getHandle(workflowId);
      await handle.signal(paymentCompletedSignal, { paymentId: 1 });
      await env.sleep(HOUR);
      const firstEnd = Date.parse(fake.subscription.endsAt ?? '');
      await env.sleep(firstEnd - DAY + HOUR - (await env.currentTimeMs()));
      assert.equal(fake.namesCalled('tryAutoRenew'), 1);
      assert.equal(Date.parse(fake.subscription.endsAt ?? ''), firstEnd + 30 * DAY, 'the period is extended from its end');
      assert.deepEqual(kinds(fake), ['key_delivered', 'reminder', 'auto_renewed']);
      assert.equal(fake.namesCalled('extendClient'), 1, 'the panel expiry follows');
      const state = await handle.query(getStateQuery);
      assert.equal(state.renewals, 1);
      assert.equal(state.eventsThisRun, 0, 'continued as new at the renewal');
      await handle.executeUpdate(cancelUpdate, { args: [{ operatorTelegramId: 1 }] });
    });
    await run({ autoRenew: 'insufficient' }, async ({ fake, workflowId }) => {
      const handle = env.client.workflow.getHandle(workflowId);
      await handle.signal(paymentCompletedSignal, { paymentId: 1 });
      await env.sleep(HOUR);
      const end = Date.parse(fake.subscription.endsAt ?? '');
      await env.sleep(end - DAY + HOUR - (await env.currentTimeMs()));
      assert.deepEqual(kinds(fake), ['key_delivered', 'reminder', 'auto_renew_topup', 'reminder']);
      assert.equal(fake.namesCalled('extendClient'), 0);
      await handle.executeUpdate(cancelUpdate, { args: [{ operatorTelegramId: 1 }] });
    });
  });

  it('provisions and delivers the key once when applyPayment committed but its completion was lost', async () => {
    await run({ applyPaymentLostCompletions: 1, record: 'subscription-lost-completion-then-key' }, async ({ fake, workflowId }) => {
      const handle = env.client.workflow.getHandle(workflowId);
      await handle.signal(paymentCompletedSignal, { paymentId: 11 });
      await env.sleep(HOUR);
      assert.equal(fake.namesCalled('applyPayment'), 2, 'the lost completion was retried');
      assert.equal(fake.namesCalled('provisionClient'), 1);
      assert.deepEqual(kinds(fake), ['key_delivered']);
      const state = await handle.query(getStateQuery);
      assert.equal(state.phase, 'active');
      assert.deepEqual(state.seenPaymentIds, [11]);
      await handle.signal(paymentCompletedSignal, { paymentId: 11 });
      await env.sleep(HOUR);
      assert.deepEqual(kinds(fake), ['key_delivered'], 'a redelivered signal changes nothing');
      await handle.executeUpdate(cancelUpdate, { args: [{ operatorTelegramId: 1 }] });
    });
  });

  it('parks a payment that fails for 36 h with backoff: small history, one alert, and the active period still expires on time', async () => {
    const settings = { reminderOffsetsHours: [] };
    await run({ settings, paymentDays: (id) => (id === 1 ? 1 : 30), applyPaymentFails: (id) => id === 2 }, async ({ fake, workflowId }) => {
      const handle = env.client.workflow.getHandle(workflowId);
      await handle.signal(paymentCompletedSignal, { paymentId: 1 });
      await env.sleep(HOUR);
      const end = Date.parse(fake.subscription.endsAt ?? '');
      await handle.signal(paymentCompletedSignal, { paymentId: 2 });
      await env.sleep(36 * HOUR);
      const state = await handle.query(getStateQuery);
      assert.equal(state.phase, 'grace', 'the paid day ended while the other payment was parked');
      assert.ok(
        fake.calls.some((call) => call.name === 'markExpired' && Math.abs(call.at - end) < 5 * 60_000),
        'expired at the end of the period',
      );
      assert.deepEqual(
        state.parked.map((item) => item.key),
        ['payment-2'],
        'the payment stays parked, never dropped',
      );
      const attempts = fake.calls.filter(
        (call) => call.name === 'applyPayment' && (call.input as { paymentId: number }).paymentId === 2,
      ).length;
      assert.ok(attempts >= 30 && attempts <= 45, `backoff 1 min doubling to 1 h: ${attempts} attempts in 36 h`);
      assert.deepEqual(
        fake.alerts.map((alert) => alert.key),
        [
          `work_parked:sub-${fake.subscription.subscriptionId}:payment-2:attempt-3`,
          `work_parked:sub-${fake.subscription.subscriptionId}:payment-2:day-1`,
        ],
      );
      const events = (await handle.fetchHistory()).events?.length ?? 0;
      assert.ok(events < 2_000, `history of this run: ${events} events`);
    });
  });

  it('retries auto-renewal within the lead window after a database blip, so a funded subscription does not lapse', async () => {
    await run(
      { autoRenew: 'renew', autoRenewFailures: 2, record: 'subscription-auto-renew-retried-after-blip' },
      async ({ fake, workflowId }) => {
        const handle = env.client.workflow.getHandle(workflowId);
        await handle.signal(paymentCompletedSignal, { paymentId: 1 });
        await env.sleep(HOUR);
        const firstEnd = Date.parse(fake.subscription.endsAt ?? '');
        await env.sleep(firstEnd - DAY + 2 * HOUR - (await env.currentTimeMs()));
        assert.equal(fake.namesCalled('tryAutoRenew'), 3, 'two failures, then the renewal');
        assert.equal(Date.parse(fake.subscription.endsAt ?? ''), firstEnd + 30 * DAY);
        assert.ok(kinds(fake).includes('auto_renewed'));
        assert.equal((await handle.query(getStateQuery)).renewals, 1);
        await handle.executeUpdate(cancelUpdate, { args: [{ operatorTelegramId: 1 }] });
      },
    );
  });

  it('tells the user of a delay once when the panel refuses our credentials (non-retryable), then delivers the key', async () => {
    await run(
      { provisionFailures: 3, provisionFailureType: 'PANEL_AUTH_FAILED', record: 'subscription-panel-auth-failed-parked-then-key' },
      async ({ fake, workflowId }) => {
        const handle = env.client.workflow.getHandle(workflowId);
        await handle.signal(paymentCompletedSignal, { paymentId: 21 });
        await env.sleep(HOUR);
        assert.deepEqual(kinds(fake), ['provision_delayed', 'key_delivered']);
        assert.equal(fake.namesCalled('provisionClient'), 4, 'parked and retried with backoff, not a day inside one call');
        assert.deepEqual(
          fake.alerts.map((alert) => alert.key),
          [`work_parked:sub-${fake.subscription.subscriptionId}:ensure-client:attempt-3`],
        );
        assert.equal((await handle.query(getStateQuery)).phase, 'active');
        await handle.executeUpdate(cancelUpdate, { args: [{ operatorTelegramId: 1 }] });
      },
    );
  });

  it('credits a payment that reaches a cancelled subscription (a new run) to the balance and tells the user', async () => {
    await run({ record: 'subscription-payment-credited-after-cancel' }, async ({ fake, workflowId }) => {
      const handle = env.client.workflow.getHandle(workflowId);
      await handle.signal(paymentCompletedSignal, { paymentId: 41 });
      await env.sleep(HOUR);
      await handle.executeUpdate(cancelUpdate, { args: [{ operatorTelegramId: 1 }] });
      assert.equal((await handle.result()).phase, 'cancelled');
      const again = await env.client.workflow.signalWithStart(subscriptionWorkflow, {
        workflowId,
        taskQueue: (await handle.describe()).taskQueue,
        args: [{ subscriptionId: fake.subscription.subscriptionId, userId: 7, planId: 1 }],
        signal: paymentCompletedSignal,
        signalArgs: [{ paymentId: 42 }],
      });
      const result = await again.result();
      assert.equal(result.phase, 'cancelled', 'the new run ends once the payment is on the balance');
      assert.deepEqual(kinds(fake), ['key_delivered', 'cancelled', 'payment_credited']);
      assert.equal(fake.notifications.at(-1)?.params?.amountKopecks, '24900');
      assert.equal(fake.namesCalled('provisionClient'), 1);
    });
  });

  it("brings an active subscription's client back on ensureClient", async () => {
    await run({}, async ({ fake, workflowId }) => {
      const handle = env.client.workflow.getHandle(workflowId);
      await handle.signal(paymentCompletedSignal, { paymentId: 51 });
      await env.sleep(HOUR);
      await handle.signal(ensureClientSignal, { reason: 'sweep:active-without-client' });
      await env.sleep(HOUR);
      assert.equal(fake.namesCalled('provisionClient'), 2);
      assert.deepEqual(kinds(fake), ['key_delivered'], 'the user is not bothered');
      await handle.executeUpdate(cancelUpdate, { args: [{ operatorTelegramId: 1 }] });
    });
  });

  it('tells the user of a delay once when the server has no panel settings (non-retryable), then delivers the key', async () => {
    await run({ provisionFailures: 1, provisionFailureType: 'PANEL_NOT_CONFIGURED' }, async ({ fake, workflowId }) => {
      const handle = env.client.workflow.getHandle(workflowId);
      await handle.signal(paymentCompletedSignal, { paymentId: 61 });
      await env.sleep(HOUR);
      assert.deepEqual(kinds(fake), ['provision_delayed', 'key_delivered']);
      assert.equal(fake.namesCalled('provisionClient'), 2);
      await handle.executeUpdate(cancelUpdate, { args: [{ operatorTelegramId: 1 }] });
    });
  });

  it('lets an operator extension interrupt a provisioning call stuck on the panel; the key is delivered once', async () => {
    await run({ provisionFailures: 1, provisionHangMs: 12_000 }, async ({ fake, workflowId }) => {
      const handle = env.client.workflow.getHandle(workflowId);
      await handle.signal(paymentCompletedSignal, { paymentId: 71 });
      for (let i = 0; i < 100 && fake.namesCalled('provisionClient') === 0; i += 1)
        await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(fake.namesCalled('provisionClient'), 1, 'provisioning is in flight');
      const started = Date.now();
      const extended = await handle.executeUpdate(extendUpdate, { args: [{ days: 5, requestId: 'op-stuck', operatorTelegramId: 9 }] });
      assert.ok(Date.now() - started < 10_000, `the extension waited ${Date.now() - started} ms`);
      assert.equal(extended.endsAt, fake.subscription.endsAt);
      await env.sleep(HOUR);
      const state = await handle.query(getStateQuery);
      assert.equal(state.phase, 'active');
      assert.equal(state.endsAt, fake.subscription.endsAt, 'the state follows the latest period');
      assert.equal(kinds(fake).filter((kind) => kind === 'key_delivered').length, 1, 'the key is delivered once');
      await handle.executeUpdate(cancelUpdate, { args: [{ operatorTelegramId: 1 }] });
    });
  });

  it('re-enables in grace on another server (a new key) when the old one has no free slot', async () => {
    await run({ slotElsewhere: 5, settings: { reminderOffsetsHours: [] } }, async ({ fake, workflowId }) => {
      const handle = env.client.workflow.getHandle(workflowId);
      await handle.signal(paymentCompletedSignal, { paymentId: 81 });
      await env.sleep(HOUR);
      await env.sleep(Date.parse(fake.subscription.endsAt ?? '') + HOUR - (await env.currentTimeMs()));
      assert.equal((await handle.query(getStateQuery)).phase, 'grace');
      await handle.signal(paymentCompletedSignal, { paymentId: 82 });
      await env.sleep(HOUR);
      const state = await handle.query(getStateQuery);
      assert.deepEqual([state.phase, state.serverId], ['active', 5]);
      assert.equal(fake.namesCalled('holdServerSlot'), 1);
      assert.equal(fake.namesCalled('enableClient'), 0);
      assert.equal(fake.namesCalled('provisionClient'), 2, "a client on the slot's server");
      assert.deepEqual(kinds(fake), ['key_delivered', 'expired', 'key_delivered']);
      await handle.executeUpdate(cancelUpdate, { args: [{ operatorTelegramId: 1 }] });
    });
  });

  // Last: its abandoned panel call may hold the test server's time skipping for a while.
  it('lets a cancel interrupt a provisioning call stuck on the panel', async () => {
    await run(
      { provisionFailures: 1, provisionHangMs: 20_000, record: 'subscription-cancel-interrupts-provisioning' },
      async ({ fake, workflowId }) => {
        const handle = env.client.workflow.getHandle(workflowId);
        await handle.signal(paymentCompletedSignal, { paymentId: 31 });
        for (let i = 0; i < 100 && fake.namesCalled('provisionClient') === 0; i += 1)
          await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(fake.namesCalled('provisionClient'), 1, 'provisioning is in flight');
        const started = Date.now();
        const cancelled = await handle.executeUpdate(cancelUpdate, { args: [{ operatorTelegramId: 1 }] });
        assert.ok(Date.now() - started < 10_000, `the cancel waited ${Date.now() - started} ms`);
        assert.equal(cancelled.phase, 'cancelled');
        assert.equal((await handle.result()).phase, 'cancelled');
        assert.equal(fake.namesCalled('markCancelled'), 1);
        assert.ok(!kinds(fake).includes('key_delivered'), 'no key for a cancelled subscription');
      },
    );
  });
});
