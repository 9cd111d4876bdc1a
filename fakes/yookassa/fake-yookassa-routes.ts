/**
 * The API v3 routes of the fake YooKassa: `POST /payments`, `GET /payments/{id}`, `POST /refunds`,
 * `GET /refunds/{id}`. Every POST needs an `Idempotence-Key`; a repeat with the same key and body
 * returns the first answer, the same key with another body is a 400.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { formatMoney, parseMoney } from '../../lib/money';
import { errorBody, refundableRemainder, type FakePaymentJson, type FakeRefundJson, type FakeYooKassaState } from './fake-yookassa-state';

/** What the routes need from the running fake. */
export interface FakeYooKassaContext {
  state: FakeYooKassaState;
  shopId: string;
  test: boolean;
  /** Base URL of the fake (for confirmation URLs). */
  url(): string;
  /** Sends a notification for a state change. */
  notify(event: string, object: FakePaymentJson | FakeRefundJson): void;
  /** Arms auto-expiry of a new pending payment. */
  scheduleExpiry(paymentId: string): void;
}

const amountSchema = z.object({ value: z.string().regex(/^\d+\.\d{2}$/), currency: z.string().length(3) });
const createPaymentSchema = z.object({
  amount: amountSchema,
  capture: z.boolean().optional(),
  confirmation: z.object({ type: z.literal('redirect'), return_url: z.string().min(1).optional(), enforce: z.boolean().optional() }),
  payment_method_data: z.object({ type: z.enum(['bank_card', 'sbp']) }).optional(),
  description: z.string().max(128).optional(),
  metadata: z
    .record(z.string(), z.string().max(512))
    .refine((value) => Object.keys(value).length <= 16)
    .optional(),
});
const createRefundSchema = z.object({ payment_id: z.string().min(1), amount: amountSchema, description: z.string().optional() });

/** Registers the API routes under `/v3`. */
export function registerFakeYooKassaRoutes(app: FastifyInstance, ctx: FakeYooKassaContext): void {
  const { state } = ctx;

  app.post('/v3/payments', (request, reply) =>
    idempotent(request, reply, () => {
      const parsed = createPaymentSchema.safeParse(request.body);
      if (!parsed.success)
        return [400, errorBody('invalid_request', 'Invalid request body', String(parsed.error.issues[0]?.path.join('.') ?? ''))];
      const input = parsed.data;
      const kopecks = parseMoney(input.amount.value);
      if (input.amount.currency !== 'RUB') return [400, errorBody('invalid_request', 'Unsupported currency', 'amount.currency')];
      if (kopecks < 100n) return [400, errorBody('invalid_request', 'Amount is below the minimum', 'amount.value')];
      if (input.payment_method_data?.type === 'sbp' && input.capture !== true) {
        return [400, errorBody('invalid_request', 'SBP does not support two-stage payments', 'capture')];
      }
      const id = randomUUID();
      const payment: FakePaymentJson = {
        id,
        status: 'pending',
        paid: false,
        amount: { value: formatMoney(kopecks), currency: 'RUB' },
        ...(input.description === undefined ? {} : { description: input.description }),
        recipient: { account_id: ctx.shopId, gateway_id: '100500' },
        ...(input.payment_method_data ? { payment_method: { type: input.payment_method_data.type, id, saved: false } } : {}),
        created_at: new Date().toISOString(),
        confirmation: {
          type: 'redirect',
          confirmation_url: `${ctx.url()}/checkout/${id}`,
          ...(input.confirmation.return_url === undefined ? {} : { return_url: input.confirmation.return_url }),
        },
        test: ctx.test,
        refundable: false,
        metadata: input.metadata ?? {},
      };
      state.payments.set(id, payment);
      ctx.scheduleExpiry(id);
      return [200, structuredClone(payment)];
    }),
  );

  app.get<{ Params: { id: string } }>('/v3/payments/:id', async (request, reply) => {
    const payment = state.payments.get(request.params.id);
    if (payment === undefined) return reply.code(404).send(errorBody('not_found', 'Payment not found', 'payment_id'));
    return reply.send(payment);
  });

  app.post('/v3/refunds', (request, reply) =>
    idempotent(request, reply, () => {
      const parsed = createRefundSchema.safeParse(request.body);
      if (!parsed.success)
        return [400, errorBody('invalid_request', 'Invalid request body', String(parsed.error.issues[0]?.path.join('.') ?? ''))];
      const input = parsed.data;
      const payment = state.payments.get(input.payment_id);
      if (payment === undefined) return [400, errorBody('invalid_request', 'Payment not found', 'payment_id')];
      if (payment.status !== 'succeeded' || !payment.refundable) {
        return [400, errorBody('invalid_request', 'Payment cannot be refunded', 'payment_id')];
      }
      if (input.amount.currency !== payment.amount.currency)
        return [400, errorBody('invalid_request', 'Currency mismatch', 'amount.currency')];
      const kopecks = parseMoney(input.amount.value);
      if (kopecks <= 0n || kopecks > refundableRemainder(payment)) {
        return [400, errorBody('invalid_request', 'Refund amount exceeds the refundable remainder', 'amount.value')];
      }
      const refund: FakeRefundJson = {
        id: randomUUID(),
        payment_id: payment.id,
        status: state.refundsPending ? 'pending' : 'succeeded',
        amount: { value: formatMoney(kopecks), currency: payment.amount.currency },
        created_at: new Date().toISOString(),
        ...(input.description === undefined ? {} : { description: input.description }),
      };
      state.refunds.set(refund.id, refund);
      const refunded = (payment.refunded_amount ? parseMoney(payment.refunded_amount.value) : 0n) + kopecks;
      payment.refunded_amount = { value: formatMoney(refunded), currency: payment.amount.currency };
      payment.refundable = refundableRemainder(payment) > 0n;
      if (refund.status === 'succeeded') ctx.notify('refund.succeeded', refund);
      return [200, structuredClone(refund)];
    }),
  );

  app.get<{ Params: { id: string } }>('/v3/refunds/:id', async (request, reply) => {
    const refund = state.refunds.get(request.params.id);
    if (refund === undefined) return reply.code(404).send(errorBody('not_found', 'Refund not found', 'refund_id'));
    return reply.send(refund);
  });

  app.get<{ Params: { id: string } }>('/checkout/:id', async (request, reply) => {
    const payment = state.payments.get(request.params.id);
    if (payment === undefined) return reply.code(404).type('text/plain').send('no such payment');
    return reply
      .type('text/html')
      .send(
        `<!doctype html><title>Fake YooKassa</title><p>Payment ${payment.id}: ${payment.amount.value} ${payment.amount.currency}, ${payment.status}</p>`,
      );
  });

  /** Runs `apply` once per idempotence key and replays its answer for repeats. */
  async function idempotent(request: FastifyRequest, reply: FastifyReply, apply: () => [number, unknown]): Promise<FastifyReply> {
    const key = request.headers['idempotence-key'];
    if (typeof key !== 'string' || key === '')
      return reply.code(400).send(errorBody('invalid_request', 'Idempotence-Key header is missing', 'Idempotence-Key'));
    if (key.length > 64) return reply.code(400).send(errorBody('invalid_request', 'Idempotence-Key is too long', 'Idempotence-Key'));
    const fingerprint = `${request.method} ${request.url} ${JSON.stringify(request.body)}`;
    const seen = state.journal.get(key);
    if (seen !== undefined) {
      if (seen.fingerprint !== fingerprint) {
        return reply.code(400).send(errorBody('invalid_request', 'Idempotence key was used for another request', 'Idempotence-Key'));
      }
      return reply.code(seen.status).send(seen.body);
    }
    const [status, body] = apply();
    state.journal.set(key, { fingerprint, status, body });
    const lost = (request as { fakeLostAnswer?: boolean }).fakeLostAnswer === true;
    if (lost) return reply.code(500).send(errorBody('internal_server_error', 'Internal server error'));
    return reply.code(status).send(body);
  }
}
