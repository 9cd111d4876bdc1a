/**
 * A provider-side webhook sender, shared by the sandbox checkout and the fake providers: POSTs a
 * body to one URL and redelivers until the receiver acknowledges (HTTP 200 by default), like real
 * providers do. Deliveries can be held and released in reverse order (reordering tests) and the
 * same body can be sent again (duplicate tests).
 */
import { setTimeout as delay } from 'node:timers/promises';

/** Options of {@link createWebhookOutbox}. */
export interface WebhookOutboxOptions {
  url: string;
  /** Whether a status acknowledges delivery; default exactly 200 (YooKassa's rule). */
  acknowledged?: (status: number) => boolean;
  /** Waits between attempts, in milliseconds; the last one repeats. Default 20, 50, 100, 250, 500, 1000. */
  retryDelaysMs?: readonly number[];
  /** Attempts before giving up on a delivery; default 50. */
  maxAttempts?: number;
  /** Bound on one attempt, in milliseconds; default 5000. */
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
}

/** One webhook and its delivery history. */
export interface WebhookDelivery {
  readonly id: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  state: 'held' | 'sending' | 'delivered' | 'gave-up';
  /** HTTP status of each attempt; 0 when the connection failed. */
  readonly statuses: number[];
}

/** What {@link createWebhookOutbox} returns. */
export interface WebhookOutbox {
  /** Queues a webhook; sends it at once unless the outbox is held. */
  send(body: string, headers?: Record<string, string>): WebhookDelivery;
  /** From now on, keeps new webhooks back until {@link release}. */
  hold(): void;
  /** Sends every held webhook one after another, in arrival order or reversed, and stops holding. */
  release(order?: 'fifo' | 'reverse'): void;
  /** Resolves when every webhook that is not held has been delivered or given up. */
  settled(): Promise<void>;
  /** Every webhook so far, oldest first. */
  readonly deliveries: readonly WebhookDelivery[];
  /** Stops all redelivery. */
  close(): void;
}

/** Creates an outbox for one receiver URL. */
export function createWebhookOutbox(options: WebhookOutboxOptions): WebhookOutbox {
  const acknowledged = options.acknowledged ?? ((status: number) => status === 200);
  const delays = options.retryDelaysMs ?? [20, 50, 100, 250, 500, 1000];
  const maxAttempts = options.maxAttempts ?? 50;
  const timeoutMs = options.timeoutMs ?? 5000;
  const doFetch = options.fetch ?? globalThis.fetch;
  const stop = new AbortController();
  const deliveries: WebhookDelivery[] = [];
  const inFlight = new Set<Promise<void>>();
  let holding = false;
  let nextId = 1;

  async function attempt(delivery: WebhookDelivery): Promise<number> {
    try {
      const response = await doFetch(options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...delivery.headers },
        body: delivery.body,
        signal: AbortSignal.any([stop.signal, AbortSignal.timeout(timeoutMs)]),
      });
      await response.arrayBuffer();
      return response.status;
    } catch {
      return 0;
    }
  }

  async function deliver(delivery: WebhookDelivery): Promise<void> {
    delivery.state = 'sending';
    while (!stop.signal.aborted && delivery.statuses.length < maxAttempts) {
      const status = await attempt(delivery);
      if (stop.signal.aborted) break;
      delivery.statuses.push(status);
      if (acknowledged(status)) {
        delivery.state = 'delivered';
        return;
      }
      const wait = delays[Math.min(delivery.statuses.length - 1, delays.length - 1)] ?? 1000;
      try {
        await delay(wait, undefined, { signal: stop.signal });
      } catch {
        break;
      }
    }
    delivery.state = 'gave-up';
  }

  function track(work: Promise<void>): void {
    const running = work.finally(() => inFlight.delete(running));
    inFlight.add(running);
  }

  return {
    deliveries,
    send(body, headers = {}) {
      const delivery: WebhookDelivery = { id: nextId++, body, headers, state: 'held', statuses: [] };
      deliveries.push(delivery);
      if (!holding) track(deliver(delivery));
      return delivery;
    },
    hold() {
      holding = true;
    },
    release(order = 'fifo') {
      holding = false;
      const held = deliveries.filter((delivery) => delivery.state === 'held');
      if (order === 'reverse') held.reverse();
      // One after another, so the receiver sees exactly this order.
      track(
        (async () => {
          for (const delivery of held) await deliver(delivery);
        })(),
      );
    },
    async settled() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    close() {
      stop.abort();
    },
  };
}
