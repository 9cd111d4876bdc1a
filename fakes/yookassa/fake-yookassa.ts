/**
 * `startFakeYooKassa`: a YooKassa API v3 stand-in on 127.0.0.1 for tests and local dev. HTTP Basic
 * auth (401 `invalid_credentials`), idempotence-key replay, `pending → succeeded | canceled` driven
 * by test controls, auto-expiry (`expired_on_confirmation`), injectable 202/`retry_after` and 500,
 * refunds with `refundable` and remainder checks, and notifications with the exact
 * `{ type: "notification", event, object }` body, redelivered until the receiver answers 200.
 * The allowlisted source IP is emulated by a header the receiving test api trusts.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { createWebhookOutbox, type WebhookDelivery, type WebhookOutbox } from '../sandbox/webhook-outbox';
import { registerFakeYooKassaRoutes } from './fake-yookassa-routes';
import { formatMoney, parseMoney } from '../../lib/money';
import {
  createFakeYooKassaState,
  errorBody,
  incomeOf,
  refundableRemainder,
  type FakePaymentJson,
  type FakeRefundJson,
  type FakeYooKassaState,
} from './fake-yookassa-state';

/** Options for {@link startFakeYooKassa}. */
export interface FakeYooKassaOptions {
  shopId: string;
  secretKey: string;
  /** Where notifications go; none are sent without it. */
  webhookUrl?: string;
  /** Header carrying the emulated source IP on notifications (e.g. 'x-forwarded-for'); default none. */
  sourceIpHeader?: string;
  /** The emulated source IP; default 185.71.76.10 (inside YooKassa's published range). */
  sourceIp?: string;
  /** Pending payments are cancelled as `expired_on_confirmation` after this long, in ms; default never. */
  expireAfterMs?: number;
  /** Waits between notification redeliveries, in ms; default 20, 50, 100, 250, 500, 1000. */
  webhookRetryDelaysMs?: readonly number[];
  /** TCP port; default 0 (any free port). */
  port?: number;
}

/** A one-off answer injected in front of the next API call. `500` with `applied` runs the call first, then answers 500. */
export type FakeYooKassaFailure = { kind: '202'; retryAfterMs: number } | { kind: '500'; applied?: boolean };

/** A request the fake received. */
export interface FakeYooKassaCall {
  method: string;
  path: string;
  idempotenceKey: string | undefined;
  status: number;
}

/** Test controls of a running fake. */
export interface FakeYooKassaControls {
  /** The payer pays: `pending → succeeded` and a `payment.succeeded` notification. @throws Error unless pending */
  pay(paymentId: string): FakePaymentJson;
  /** The payment fails: `pending → canceled` with `reason` (default `general_decline`) and a `payment.canceled` notification. */
  cancel(paymentId: string, reason?: string): FakePaymentJson;
  /** The payer did not pay in time: cancel with `expired_on_confirmation`. */
  expire(paymentId: string): FakePaymentJson;
  /** The next `n` API calls (after auth) get `failure`. */
  failNext(n: number, failure: FakeYooKassaFailure): void;
  /** Sends a notification for the current state of a payment or refund, as YooKassa would (e.g. a replay). */
  notify(event: string, objectId: string): WebhookDelivery;
  /** Sends the body of an earlier notification again (a duplicate). */
  duplicate(delivery: WebhookDelivery): WebhookDelivery;
  /** Changes the emulated source IP of later notifications. */
  setSourceIp(ip: string): void;
  /** The notification sender: `hold()`/`release('reverse')` reorder, `settled()` waits, `deliveries` lists. */
  webhooks: WebhookOutbox | undefined;
  /** Requests received so far (clear with `calls.length = 0`). */
  calls: FakeYooKassaCall[];
  /** From now on new refunds stay 'pending' (true) or succeed at once (false, the default). */
  holdRefunds(on: boolean): void;
  /**
   * A pending refund ends: 'succeeded' (with a `refund.succeeded` notification) or 'canceled' (its
   * amount is refundable again). @throws Error unless pending
   */
  settleRefund(refundId: string, status: 'succeeded' | 'canceled'): FakeRefundJson;
}

/** A running fake. */
export interface FakeYooKassa {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** The API root to configure the client with: `<url>/v3`. */
  apiUrl: string;
  state: FakeYooKassaState;
  controls: FakeYooKassaControls;
  close(): Promise<void>;
}

/**
 * Starts a fake YooKassa on 127.0.0.1.
 * @throws when the port cannot be bound
 */
export async function startFakeYooKassa(options: FakeYooKassaOptions): Promise<FakeYooKassa> {
  const state = createFakeYooKassaState();
  const expected = `Basic ${Buffer.from(`${options.shopId}:${options.secretKey}`).toString('base64')}`;
  const failures: FakeYooKassaFailure[] = [];
  const calls: FakeYooKassaCall[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let sourceIp = options.sourceIp ?? '185.71.76.10';
  let url = '';
  const webhooks =
    options.webhookUrl === undefined
      ? undefined
      : createWebhookOutbox({
          url: options.webhookUrl,
          ...(options.webhookRetryDelaysMs ? { retryDelaysMs: options.webhookRetryDelaysMs } : {}),
        });

  function send(body: string): WebhookDelivery {
    if (webhooks === undefined) throw new Error('the fake YooKassa has no webhookUrl');
    return webhooks.send(body, options.sourceIpHeader === undefined ? {} : { [options.sourceIpHeader]: sourceIp });
  }

  function notify(event: string, object: FakePaymentJson | FakeRefundJson): void {
    if (webhooks !== undefined) send(JSON.stringify({ type: 'notification', event, object }));
  }

  function pendingPayment(paymentId: string): FakePaymentJson {
    const payment = state.payments.get(paymentId);
    if (payment === undefined) throw new Error(`fake YooKassa: no payment ${paymentId}`);
    if (payment.status !== 'pending') throw new Error(`fake YooKassa: payment ${paymentId} is ${payment.status}, not pending`);
    return payment;
  }

  function cancel(paymentId: string, reason = 'general_decline'): FakePaymentJson {
    const payment = pendingPayment(paymentId);
    payment.status = 'canceled';
    payment.cancellation_details = { party: reason === 'expired_on_confirmation' ? 'yoo_kassa' : 'payment_network', reason };
    notify('payment.canceled', payment);
    return structuredClone(payment);
  }

  const app: FastifyInstance = Fastify({ logger: false, forceCloseConnections: true });
  app.setErrorHandler(async (error, _request, reply) => {
    const { statusCode = 500 } = error as { statusCode?: number };
    if (statusCode >= 400 && statusCode < 500) return reply.code(400).send(errorBody('invalid_request', 'Malformed request'));
    return reply.code(500).send(errorBody('internal_server_error', 'Internal server error'));
  });

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const key = request.headers['idempotence-key'];
    const call: FakeYooKassaCall = { method: request.method, path, idempotenceKey: typeof key === 'string' ? key : undefined, status: 0 };
    calls.push(call);
    (request as { fakeCall?: FakeYooKassaCall }).fakeCall = call;
    if (!path.startsWith('/v3/')) return;
    if (request.headers.authorization !== expected) {
      return reply.code(401).send(errorBody('invalid_credentials', 'Authentication by given credentials failed'));
    }
    const failure = failures.shift();
    if (failure?.kind === '202')
      return reply.code(202).send({ type: 'processing', description: 'Request accepted', retry_after: failure.retryAfterMs });
    if (failure?.kind === '500' && failure.applied !== true)
      return reply.code(500).send(errorBody('internal_server_error', 'Internal server error'));
    if (failure?.kind === '500') (request as { fakeLostAnswer?: boolean }).fakeLostAnswer = true;
  });

  app.addHook('onResponse', async (request, reply) => {
    const call = (request as { fakeCall?: FakeYooKassaCall }).fakeCall;
    if (call) call.status = reply.statusCode;
  });

  registerFakeYooKassaRoutes(app, {
    state,
    shopId: options.shopId,
    test: options.secretKey.startsWith('test_'),
    url: () => url,
    notify,
    scheduleExpiry(paymentId) {
      if (options.expireAfterMs === undefined) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (state.payments.get(paymentId)?.status === 'pending') cancel(paymentId, 'expired_on_confirmation');
      }, options.expireAfterMs);
      timers.add(timer);
    },
  });

  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;

  return {
    url,
    apiUrl: `${url}/v3`,
    state,
    controls: {
      pay(paymentId) {
        const payment = pendingPayment(paymentId);
        payment.status = 'succeeded';
        payment.paid = true;
        payment.captured_at = new Date().toISOString();
        payment.income_amount = incomeOf(payment.amount);
        payment.refundable = true;
        payment.payment_method = {
          type: payment.payment_method?.type ?? 'bank_card',
          id: payment.id,
          saved: false,
          title: payment.payment_method?.type === 'sbp' ? 'SBP' : 'Bank card *4444',
        };
        notify('payment.succeeded', payment);
        return structuredClone(payment);
      },
      cancel,
      expire: (paymentId) => cancel(paymentId, 'expired_on_confirmation'),
      failNext(n, failure) {
        for (let i = 0; i < n; i += 1) failures.push(failure);
      },
      notify(event, objectId) {
        const object = state.payments.get(objectId) ?? state.refunds.get(objectId);
        if (object === undefined) throw new Error(`fake YooKassa: no payment or refund ${objectId}`);
        return send(JSON.stringify({ type: 'notification', event, object }));
      },
      duplicate: (delivery) => send(delivery.body),
      setSourceIp(ip) {
        sourceIp = ip;
      },
      webhooks,
      calls,
      holdRefunds(on) {
        state.refundsPending = on;
      },
      settleRefund(refundId, status) {
        const refund = state.refunds.get(refundId);
        if (refund?.status !== 'pending') throw new Error(`fake YooKassa: refund ${refundId} is not pending`);
        refund.status = status;
        const payment = state.payments.get(refund.payment_id);
        if (status === 'canceled' && payment?.refunded_amount !== undefined) {
          payment.refunded_amount = {
            value: formatMoney(parseMoney(payment.refunded_amount.value) - parseMoney(refund.amount.value)),
            currency: payment.amount.currency,
          };
          payment.refundable = refundableRemainder(payment) > 0n;
        }
        if (status === 'succeeded') notify('refund.succeeded', refund);
        return structuredClone(refund);
      },
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      webhooks?.close();
      await app.close();
    },
  };
}
