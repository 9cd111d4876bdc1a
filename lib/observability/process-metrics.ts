import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

/**
 * A fresh registry for one process (worker, api or bot): Node's default metrics (CPU, memory,
 * event-loop lag, GC) prefixed `vless_`, every series labelled with the process's `component`.
 */
export function createProcessRegistry(component: 'worker' | 'api' | 'bot'): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ component });
  collectDefaultMetrics({ register: registry, prefix: 'vless_' });
  return registry;
}

/** Outcome of a webhook request as the api answered it. */
export type WebhookOutcome = 'accepted' | 'rejected' | 'rate_limited' | 'error';

/** `vless_webhooks_total{provider,outcome}`: webhook requests per provider and outcome (api). */
export function createWebhookCounter(registry: Registry): Counter<'provider' | 'outcome'> {
  return new Counter({
    name: 'vless_webhooks_total',
    help: 'Payment webhooks received, per provider and outcome (accepted 2xx, rejected 4xx such as a failed verification, rate_limited 429, error 5xx)',
    labelNames: ['provider', 'outcome'],
    registers: [registry],
  });
}

/** Classifies a webhook response status. */
export function webhookOutcome(statusCode: number): WebhookOutcome {
  if (statusCode === 429) return 'rate_limited';
  if (statusCode >= 500) return 'error';
  if (statusCode >= 400) return 'rejected';
  return 'accepted';
}

/**
 * `vless_webhook_duplicates_total{provider}`: repeats of settled webhook events, answered without a
 * write or a log line (api).
 */
export function createWebhookDuplicateCounter(registry: Registry): Counter<'provider'> {
  return new Counter({
    name: 'vless_webhook_duplicates_total',
    help: 'Webhook deliveries that repeated a settled event: answered 200 duplicate with no write and no log line',
    labelNames: ['provider'],
    registers: [registry],
  });
}

/** `vless_webhook_dispatch_total{outcome}`: what the webhook dispatcher did with stored events (api). */
export function createWebhookDispatchCounter(registry: Registry): Counter<'outcome'> {
  return new Counter({
    name: 'vless_webhook_dispatch_total',
    help: 'Stored webhook events the dispatcher processed, per outcome (handed_off to the payment workflow, settled, ignored, retry after a failed hand-off)',
    labelNames: ['outcome'],
    registers: [registry],
  });
}

/** `vless_panel_calls_total{server_id,outcome}`: HTTP exchanges with 3X-UI panels (worker). */
export function createPanelCallCounter(registry: Registry): Counter<'server_id' | 'outcome'> {
  return new Counter({
    name: 'vless_panel_calls_total',
    help: 'HTTP exchanges with 3X-UI panels per server and outcome (ok, http_error for a non-2xx answer, failed for no answer)',
    labelNames: ['server_id', 'outcome'],
    registers: [registry],
  });
}

/** A fetch that counts each exchange with server `serverId`'s panel in `counter`. */
export function countingFetch(counter: Counter<'server_id' | 'outcome'>, serverId: number, inner: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    try {
      const response = await inner(input, init);
      counter.inc({ server_id: String(serverId), outcome: response.ok ? 'ok' : 'http_error' });
      return response;
    } catch (error) {
      counter.inc({ server_id: String(serverId), outcome: 'failed' });
      throw error;
    }
  };
}
