/**
 * `startFakeCryptoPay`: a Crypto Pay API stand-in on 127.0.0.1 for tests and local dev. Checks the
 * `Crypto-Pay-API-Token` header, answers in the `ok` envelope, keeps invoices (`active → paid |
 * expired`), and sends `invoice_paid` updates signed exactly as Crypto Pay signs them, retried
 * until the receiver answers 200; duplicates carry new `update_id`s.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { cryptoPaySignature, CRYPTO_PAY_SIGNATURE_HEADER } from '../../lib/payments/cryptopay/cryptopay-signature';
import { createWebhookOutbox, type WebhookDelivery, type WebhookOutbox } from '../sandbox/webhook-outbox';
import { formatMoney } from '../../lib/money';
import { parseProviderAmount } from '../../lib/payments/provider-values';
import { runMethod, type FakeCryptoPayState, type FakeInvoiceJson } from './fake-cryptopay-methods';

/** Options for {@link startFakeCryptoPay}. */
export interface FakeCryptoPayOptions {
  /** The app token the fake accepts and signs webhooks with. */
  token: string;
  /** Where `invoice_paid` updates go; none are sent without it. */
  webhookUrl?: string;
  /** Waits between webhook redeliveries, in ms; default 20, 50, 100, 250, 500, 1000. */
  webhookRetryDelaysMs?: readonly number[];
  /** TCP port; default 0 (any free port). */
  port?: number;
}

/** A one-off answer injected in front of the next API call. */
export type FakeCryptoPayFailure = { kind: '500' } | { kind: 'error'; code: number; name: string };

/** A request the fake received. */
export interface FakeCryptoPayCall {
  method: string;
  /** HTTP status; the envelope's own `ok` is not recorded. */
  status: number;
}

/** Test controls of a running fake. */
export interface FakeCryptoPayControls {
  /** The payer pays in `asset` (default USDT): `active → paid` and an `invoice_paid` update. @throws Error unless active */
  pay(invoiceId: number, asset?: string): FakeInvoiceJson;
  /** The invoice runs out: `active → expired` (no webhook, as on Crypto Pay). */
  expire(invoiceId: number): FakeInvoiceJson;
  /** Sends another `invoice_paid` update for a paid invoice with a new `update_id` (a duplicate). */
  duplicate(invoiceId: number): WebhookDelivery;
  /** The next `n` API calls (after the token check) get `failure`. */
  failNext(n: number, failure: FakeCryptoPayFailure): void;
  /** The update sender: `hold()`/`release('reverse')` reorder, `settled()` waits, `deliveries` lists. */
  webhooks: WebhookOutbox | undefined;
  calls: FakeCryptoPayCall[];
}

/** A running fake. */
export interface FakeCryptoPay {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** The API root to configure the client with: `<url>/api`. */
  apiUrl: string;
  state: FakeCryptoPayState;
  controls: FakeCryptoPayControls;
  close(): Promise<void>;
}

/** Rate the fake pays fiat invoices at: 1 asset unit = 100 RUB. */
const FAKE_RATE_KOPECKS = 10_000n;

/**
 * Starts a fake Crypto Pay on 127.0.0.1.
 * @throws when the port cannot be bound
 */
export async function startFakeCryptoPay(options: FakeCryptoPayOptions): Promise<FakeCryptoPay> {
  const state: FakeCryptoPayState = { invoices: new Map(), nextInvoiceId: 1001 };
  const failures: FakeCryptoPayFailure[] = [];
  const calls: FakeCryptoPayCall[] = [];
  let nextUpdateId = 1;
  let url = '';
  const webhooks =
    options.webhookUrl === undefined
      ? undefined
      : createWebhookOutbox({
          url: options.webhookUrl,
          ...(options.webhookRetryDelaysMs ? { retryDelaysMs: options.webhookRetryDelaysMs } : {}),
        });

  function sendUpdate(invoice: FakeInvoiceJson): WebhookDelivery {
    if (webhooks === undefined) throw new Error('the fake Crypto Pay has no webhookUrl');
    const body = JSON.stringify({
      update_id: nextUpdateId++,
      update_type: 'invoice_paid',
      request_date: new Date().toISOString(),
      payload: invoice,
    });
    return webhooks.send(body, { [CRYPTO_PAY_SIGNATURE_HEADER]: cryptoPaySignature(options.token, body) });
  }

  function invoiceOf(invoiceId: number): FakeInvoiceJson {
    const invoice = state.invoices.get(invoiceId);
    if (invoice === undefined) throw new Error(`fake Crypto Pay: no invoice ${invoiceId}`);
    return invoice;
  }

  const app: FastifyInstance = Fastify({ logger: false, forceCloseConnections: true });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  app.setErrorHandler(async (_error, _request, reply) => reply.code(400).send({ ok: false, error: { code: 400, name: 'BAD_REQUEST' } }));

  app.route<{ Params: { method: string } }>({
    method: ['GET', 'POST'],
    url: '/api/:method',
    handler: async (request, reply) => {
      const call: FakeCryptoPayCall = { method: request.params.method, status: 0 };
      calls.push(call);
      const answer = (status: number, body: unknown) => {
        call.status = status;
        return reply.code(status).send(body);
      };
      if (request.headers['crypto-pay-api-token'] !== options.token)
        return answer(401, { ok: false, error: { code: 401, name: 'UNAUTHORIZED' } });
      const failure = failures.shift();
      if (failure?.kind === '500') return answer(500, 'Internal Server Error');
      if (failure?.kind === 'error') return answer(failure.code, { ok: false, error: { code: failure.code, name: failure.name } });
      const params = {
        ...(request.query as Record<string, unknown>),
        ...(typeof request.body === 'object' && request.body !== null ? (request.body as Record<string, unknown>) : {}),
      };
      const outcome = runMethod(state, request.params.method, params, url);
      return outcome.ok ? answer(200, outcome) : answer(outcome.code, { ok: false, error: { code: outcome.code, name: outcome.name } });
    },
  });

  app.get<{ Params: { hash: string } }>('/invoice/:hash', async (request, reply) => {
    const invoice = [...state.invoices.values()].find((item) => item.hash === request.params.hash);
    if (invoice === undefined) return reply.code(404).type('text/plain').send('no such invoice');
    return reply
      .type('text/html')
      .send(
        `<!doctype html><title>Fake Crypto Pay</title><p>Invoice ${invoice.invoice_id}: ${invoice.amount} ${invoice.fiat ?? invoice.asset}, ${invoice.status}</p>`,
      );
  });

  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;

  return {
    url,
    apiUrl: `${url}/api`,
    state,
    controls: {
      pay(invoiceId, asset = 'USDT') {
        const invoice = invoiceOf(invoiceId);
        if (invoice.status !== 'active') throw new Error(`fake Crypto Pay: invoice ${invoiceId} is ${invoice.status}, not active`);
        const fiatKopecks = parseProviderAmount(invoice.amount);
        Object.assign(invoice, {
          status: 'paid',
          paid_at: new Date().toISOString(),
          paid_asset: invoice.asset ?? asset,
          paid_amount: invoice.currency_type === 'fiat' ? formatMoney((fiatKopecks * 100n) / FAKE_RATE_KOPECKS) : invoice.amount,
          paid_fiat_rate: formatMoney(FAKE_RATE_KOPECKS),
          paid_usd_rate: '1.00',
          fee_asset: invoice.asset ?? asset,
          fee_amount: '0',
          paid_anonymously: false,
        } satisfies Partial<FakeInvoiceJson>);
        if (webhooks !== undefined) sendUpdate(invoice);
        return structuredClone(invoice);
      },
      expire(invoiceId) {
        const invoice = invoiceOf(invoiceId);
        if (invoice.status !== 'active') throw new Error(`fake Crypto Pay: invoice ${invoiceId} is ${invoice.status}, not active`);
        invoice.status = 'expired';
        return structuredClone(invoice);
      },
      duplicate(invoiceId) {
        const invoice = invoiceOf(invoiceId);
        if (invoice.status !== 'paid') throw new Error(`fake Crypto Pay: invoice ${invoiceId} is not paid`);
        return sendUpdate(invoice);
      },
      failNext(n, failure) {
        for (let i = 0; i < n; i += 1) failures.push(failure);
      },
      webhooks,
      calls,
    },
    async close() {
      webhooks?.close();
      await app.close();
    },
  };
}
