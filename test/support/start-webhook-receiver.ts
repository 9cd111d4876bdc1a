/**
 * A stand-in for the api's webhook route, for tests: fastify on 127.0.0.1 with the raw body kept
 * as a Buffer and `trustProxy` so a fake provider's `x-forwarded-for` becomes `request.ip`, handing
 * each request to a provider's `parseNotification`. Answers 200 to verified notifications, 401 (or
 * 400 for `malformed`) to rejected ones, and 500 to the first `failFirst` requests.
 */
import Fastify from 'fastify';
import { WebhookRejectedError } from '../../lib/payments/payment-errors';
import type { NotificationEvent, NotificationInput } from '../../lib/payments/payment-provider';

/** One request the receiver handled. */
export interface ReceivedWebhook {
  status: number;
  rawBody: Buffer;
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  sourceIp: string;
  event?: NotificationEvent;
  rejection?: WebhookRejectedError;
}

/** Options of {@link startWebhookReceiver}. */
export interface WebhookReceiverOptions {
  /** Usually `provider.parseNotification`. */
  parse(input: NotificationInput): NotificationEvent;
  /** Answer 500 to this many first requests (redelivery tests); default 0. */
  failFirst?: number;
}

/** A running receiver. */
export interface WebhookReceiver {
  /** Full URL of the webhook route. */
  url: string;
  received: ReceivedWebhook[];
  /** Verified events in arrival order. */
  events(): NotificationEvent[];
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1:0. */
export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  let failuresLeft = options.failFirst ?? 0;
  const app = Fastify({ logger: false, trustProxy: true, forceCloseConnections: true });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.post('/webhook', async (request, reply) => {
    const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const entry: ReceivedWebhook = { status: 200, rawBody, headers: request.headers, sourceIp: request.ip };
    received.push(entry);
    if (failuresLeft > 0) {
      failuresLeft -= 1;
      entry.status = 500;
      return reply.code(500).send();
    }
    try {
      entry.event = options.parse({ rawBody, headers: request.headers, sourceIp: request.ip });
    } catch (error) {
      if (!(error instanceof WebhookRejectedError)) throw error;
      entry.rejection = error;
      entry.status = error.reason === 'malformed' ? 400 : 401;
    }
    return reply.code(entry.status).send();
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/webhook`,
    received,
    events: () => received.flatMap((entry) => (entry.event ? [entry.event] : [])),
    close: () => app.close(),
  };
}
