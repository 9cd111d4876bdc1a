/**
 * `startSandboxCheckout`: a local stand-in payment provider for `npm run dev` when no real one is
 * configured. A small JSON API (bearer = the sandbox secret) creates and reads invoices
 * idempotently; `/checkout/<id>` is a page with Pay / Fail buttons; each state change sends a
 * webhook signed with HMAC-SHA-256 (sandbox secret) to the configured URL, redelivered until 200.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyReply } from 'fastify';
import { formatMoney, parseMoney } from '../../lib/money';
import { hmacSha256Hex } from '../../lib/payments/hmac-signature';
import { renderCheckoutPage } from './checkout-page';
import {
  SANDBOX_SIGNATURE_HEADER,
  sandboxCreateSchema,
  sandboxRefundRequestSchema,
  type SandboxInvoice,
} from '../../lib/payments/sandbox/sandbox-schemas';
import { createWebhookOutbox, type WebhookOutbox } from './webhook-outbox';

/** Options of {@link startSandboxCheckout}. */
export interface SandboxCheckoutOptions {
  /** Signs webhooks and authenticates API calls (dev only; not a production secret). */
  secret: string;
  /** Where webhooks go. */
  webhookUrl: string;
  /** TCP port; default 0 (any free port). */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Base URL put into checkout links, when the page is reached by another name; default the bound address. */
  publicUrl?: string;
  /** How long an invoice can be paid, in milliseconds; default 1 hour. */
  invoiceTtlMs?: number;
  /** Waits between webhook redeliveries, in ms; default 20, 50, 100, 250, 500, 1000. */
  webhookRetryDelaysMs?: readonly number[];
}

/** A running sandbox. */
export interface SandboxCheckout {
  /** Base URL of the API and the checkout pages. */
  url: string;
  invoices: ReadonlyMap<string, SandboxInvoice>;
  webhooks: WebhookOutbox;
  close(): Promise<void>;
}

/**
 * Starts the sandbox provider.
 * @throws when the port cannot be bound
 */
export async function startSandboxCheckout(options: SandboxCheckoutOptions): Promise<SandboxCheckout> {
  const invoices = new Map<string, SandboxInvoice>();
  const journal = new Map<string, { fingerprint: string; body: unknown }>();
  const ttlMs = options.invoiceTtlMs ?? 3_600_000;
  const expectedAuth = Buffer.from(`Bearer ${options.secret}`);
  const webhooks = createWebhookOutbox({
    url: options.webhookUrl,
    ...(options.webhookRetryDelaysMs ? { retryDelaysMs: options.webhookRetryDelaysMs } : {}),
  });
  let publicUrl = '';

  function notify(event: 'payment.succeeded' | 'payment.canceled' | 'refund.succeeded', invoice: SandboxInvoice): void {
    const body = JSON.stringify({ event, invoice });
    webhooks.send(body, { [SANDBOX_SIGNATURE_HEADER]: hmacSha256Hex(options.secret, body) });
  }

  function current(id: string): SandboxInvoice | undefined {
    const invoice = invoices.get(id);
    if (invoice?.status === 'pending' && Date.parse(invoice.expiresAt) <= Date.now()) invoice.status = 'expired';
    return invoice;
  }

  function settle(id: string, status: 'succeeded' | 'canceled'): SandboxInvoice | undefined {
    const invoice = current(id);
    if (invoice?.status !== 'pending') return undefined;
    invoice.status = status;
    if (status === 'succeeded') invoice.paidAt = new Date().toISOString();
    notify(status === 'succeeded' ? 'payment.succeeded' : 'payment.canceled', invoice);
    return invoice;
  }

  /** Runs `apply` once per idempotency key; a repeat with the same body gets the first answer. */
  function once(reply: FastifyReply, key: string, body: unknown, apply: () => [number, unknown]): FastifyReply {
    const fingerprint = JSON.stringify(body);
    const seen = journal.get(key);
    if (seen !== undefined) {
      if (seen.fingerprint !== fingerprint) return reply.code(409).send({ error: 'idempotency_key_reused' });
      return reply.send(seen.body);
    }
    const [status, answer] = apply();
    if (status === 200) journal.set(key, { fingerprint, body: answer });
    return reply.code(status).send(answer);
  }

  const app = Fastify({ logger: false, forceCloseConnections: true });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, _body, done) => done(null, {}));

  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api/')) return;
    const given = Buffer.from(request.headers.authorization ?? '');
    if (given.length !== expectedAuth.length || !timingSafeEqual(given, expectedAuth))
      return reply.code(401).send({ error: 'unauthorized' });
  });

  app.post('/api/invoices', async (request, reply) => {
    const parsed = sandboxCreateSchema.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: 'invalid_request', message: parsed.error.issues[0]?.message });
    const { idempotencyKey, ...input } = parsed.data;
    return once(reply, idempotencyKey, input, () => {
      if (parseMoney(input.amount) <= 0n) return [400, { error: 'invalid_amount' }];
      const id = `sbx_${randomUUID()}`;
      const now = Date.now();
      const invoice: SandboxInvoice = {
        id,
        ...input,
        status: 'pending',
        createdAt: new Date(now).toISOString(),
        expiresAt: new Date(now + ttlMs).toISOString(),
        refundedAmount: '0.00',
      };
      invoices.set(id, invoice);
      return [200, { invoice, confirmationUrl: `${publicUrl}/checkout/${id}` }];
    });
  });

  app.get<{ Params: { id: string } }>('/api/invoices/:id', async (request, reply) => {
    const invoice = current(request.params.id);
    return invoice === undefined ? reply.code(404).send({ error: 'not_found' }) : reply.send(invoice);
  });

  app.post<{ Params: { id: string } }>('/api/invoices/:id/cancel', async (request, reply) => {
    const invoice = current(request.params.id);
    if (invoice === undefined) return reply.code(404).send({ error: 'not_found' });
    if (invoice.status === 'canceled') return reply.send(invoice);
    return settle(invoice.id, 'canceled') === undefined
      ? reply.code(409).send({ error: `invoice_${invoice.status}` })
      : reply.send(invoice);
  });

  app.post('/api/refunds', async (request, reply) => {
    const parsed = sandboxRefundRequestSchema.safeParse(request.body);
    if (!parsed.success) return reply.code(400).send({ error: 'invalid_request', message: parsed.error.issues[0]?.message });
    const { idempotencyKey, ...input } = parsed.data;
    return once(reply, idempotencyKey, input, () => {
      const invoice = current(input.invoiceId);
      if (invoice === undefined) return [404, { error: 'not_found' }];
      if (invoice.status !== 'succeeded') return [409, { error: 'not_paid' }];
      const amount = parseMoney(input.amount);
      const refunded = parseMoney(invoice.refundedAmount);
      if (amount <= 0n || refunded + amount > parseMoney(invoice.amount)) return [400, { error: 'amount_exceeds_remainder' }];
      invoice.refundedAmount = formatMoney(refunded + amount);
      notify('refund.succeeded', invoice);
      return [200, { id: `sbr_${randomUUID()}`, invoiceId: invoice.id, amount: formatMoney(amount), status: 'succeeded' }];
    });
  });

  app.get<{ Params: { id: string } }>('/checkout/:id', async (request, reply) => {
    const invoice = current(request.params.id);
    if (invoice === undefined) return reply.code(404).type('text/plain').send('no such invoice');
    return reply.type('text/html; charset=utf-8').send(renderCheckoutPage(invoice));
  });

  for (const [action, status] of [
    ['pay', 'succeeded'],
    ['fail', 'canceled'],
  ] as const) {
    app.post<{ Params: { id: string } }>(`/checkout/:id/${action}`, async (request, reply) => {
      const invoice = current(request.params.id);
      if (invoice === undefined) return reply.code(404).type('text/plain').send('no such invoice');
      settle(invoice.id, status);
      return reply.redirect(`/checkout/${encodeURIComponent(invoice.id)}`, 303);
    });
  }

  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const host = options.host === undefined || options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  publicUrl = (options.publicUrl ?? url).replace(/\/+$/, '');

  return {
    url,
    invoices,
    webhooks,
    async close() {
      webhooks.close();
      await app.close();
    },
  };
}
