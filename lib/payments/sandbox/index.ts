/** Public surface of the local sandbox payment provider. */
export { createSandboxProvider, type SandboxProviderOptions } from './sandbox-provider';
export { startSandboxCheckout, type SandboxCheckout, type SandboxCheckoutOptions } from './sandbox-server';
export { SANDBOX_SIGNATURE_HEADER, type SandboxInvoice } from './sandbox-schemas';
export { createWebhookOutbox, type WebhookDelivery, type WebhookOutbox, type WebhookOutboxOptions } from './webhook-outbox';
