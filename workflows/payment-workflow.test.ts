/**
 * The payment workflow's end on the time-skipping test server, with in-memory activities: which
 * outcomes tell the user that the checkout ended unpaid (failed, cancelled by the provider, not
 * paid in time), once, and which do not (completed, refused at the invoice, a flagged mismatch).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../workers/create-worker';
import { installQuietRuntime } from '../test/support/test-temporal';
import { indexedValueType } from '../clients/register-search-attributes';
import type {
  FailedCheckoutActivities,
  InvoiceResult,
  PaymentActivities,
  PaymentMismatchActivities,
  VerdictResult,
} from '../activities/contracts/payment-activities';
import { SEARCH_ATTRIBUTES } from './contract';
import { paymentVerdictSignal, paymentWorkflow, type PaymentState } from './payment-workflow';

let nextPaymentId = 5000;

/** What the provider answers, in order: the invoice, then one verdict per signal; the timeout's verdict. */
interface Script {
  invoice: InvoiceResult;
  verdicts?: VerdictResult[];
  expiry?: VerdictResult;
}

describe('payment workflow: the failed-checkout message (time-skipping)', () => {
  let env: TestWorkflowEnvironment;

  before(async () => {
    const path = process.env.TEST_TEMPORAL_TEST_SERVER;
    if (path === undefined || path === '') throw new Error('TEST_TEMPORAL_TEST_SERVER is not set: run through `npm test`');
    installQuietRuntime();
    env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
    await env.connection.operatorService.addSearchAttributes({
      namespace: 'default',
      searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, indexedValueType(key.type)])),
    });
  });
  after(async () => {
    await env?.teardown();
  });

  /** Runs one payment to its end, signalling a verdict once per scripted verdict; returns what it did. */
  async function run(
    script: Script,
  ): Promise<{ state: PaymentState; notices: Array<{ paymentId: number; reason: string }>; paymentId: number }> {
    const paymentId = nextPaymentId++;
    const verdicts = [...(script.verdicts ?? [])];
    const notices: Array<{ paymentId: number; reason: string }> = [];
    const activities: PaymentActivities & PaymentMismatchActivities & FailedCheckoutActivities = {
      createInvoice: async () => script.invoice,
      confirmPayment: async () => verdicts.shift() ?? { status: 'pending', completedNow: false },
      expirePayment: async () => script.expiry ?? { status: 'cancelled', completedNow: false },
      abandonPayment: async ({ reason }) => ({ status: 'failed', completedNow: false, failureReason: reason }),
      notifySubscriptionOfPayment: async () => ({ workflowId: null }),
      reportPaymentMismatch: async () => ({ reported: true }),
      notifyFailedCheckout: async (input) => {
        notices.push(input);
        return { sent: true };
      },
    };
    const taskQueue = `payment-${paymentId}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath: WORKFLOWS_PATH, activities });
    const state = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(paymentWorkflow, {
        workflowId: `payment-${paymentId}`,
        taskQueue,
        args: [{ paymentId, timeoutMinutes: 60 }],
      });
      for (let i = 0; i < (script.verdicts?.length ?? 0); i += 1) await handle.signal(paymentVerdictSignal, { source: 'test' });
      return handle.result();
    });
    return { state, notices, paymentId };
  }

  const awaiting: InvoiceResult = { kind: 'awaiting', confirmationUrl: 'https://pay.example/1' };

  it('a payment the provider fails after the link was shown: one message, reason failed', async () => {
    const { state, notices, paymentId } = await run({ invoice: awaiting, verdicts: [{ status: 'failed', completedNow: false }] });
    assert.equal(state.phase, 'failed');
    assert.deepEqual(notices, [{ paymentId, reason: 'failed' }]);
  });

  it('a payment nobody pays: cancelled at the timeout, one message, reason expired', async () => {
    const { state, notices, paymentId } = await run({ invoice: awaiting });
    assert.equal(state.phase, 'cancelled');
    assert.deepEqual(notices, [{ paymentId, reason: 'expired' }]);
  });

  it('a payment the provider cancels: one message, reason cancelled', async () => {
    const { state, notices, paymentId } = await run({ invoice: awaiting, verdicts: [{ status: 'cancelled', completedNow: false }] });
    assert.equal(state.phase, 'cancelled');
    assert.deepEqual(notices, [{ paymentId, reason: 'cancelled' }]);
  });

  it('a completed payment sends no message', async () => {
    const { state, notices } = await run({ invoice: awaiting, verdicts: [{ status: 'completed', completedNow: true }] });
    assert.equal(state.phase, 'completed');
    assert.deepEqual(notices, []);
  });

  it('no message where the user already has an answer: a refusal at the invoice (the bot answers it), a flagged mismatch', async () => {
    const refused = await run({ invoice: { kind: 'failed', reason: 'provider-rejected' } });
    assert.equal(refused.state.phase, 'failed');
    assert.deepEqual(refused.notices, []);
    const mismatch = await run({
      invoice: awaiting,
      verdicts: [{ status: 'failed', completedNow: false, failureReason: 'order-mismatch' }],
    });
    assert.equal(mismatch.state.phase, 'failed');
    assert.deepEqual(mismatch.notices, []);
  });
});
