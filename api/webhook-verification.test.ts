import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { WebhookRejectedError } from '../lib/payments/payment-errors';
import type { NotificationEvent, PaymentProvider } from '../lib/payments/payment-provider';
import { createWebhookVerification } from './webhook-verification';

const EVENT = { provider: 'sandbox', kind: 'succeeded', eventKey: 'e-1', externalId: 'x-1', orderId: 1 } as unknown as NotificationEvent;

/** A sandbox provider whose check is counted; bodies saying "forged" are rejected. */
function countingProviders() {
  let calls = 0;
  const sandbox = {
    parseNotification(input: { rawBody: Buffer }) {
      calls += 1;
      if (input.rawBody.toString() === 'forged') throw new WebhookRejectedError('sandbox', 'bad-signature', 'signature mismatch');
      return EVENT;
    },
  } as unknown as PaymentProvider;
  return { providers: { byName: { sandbox }, forMethod: () => sandbox }, calls: () => calls };
}

function request(provider: string, body: string): FastifyRequest {
  return { params: { provider }, body: Buffer.from(body), headers: {}, ip: '127.0.0.1' } as unknown as FastifyRequest;
}

describe('webhook verification', () => {
  it("runs the provider's check once per request, however often the verdict is read", () => {
    const { providers, calls } = countingProviders();
    const verify = createWebhookVerification(providers);
    const first = request('sandbox', '{}');
    assert.deepEqual(verify(first), { kind: 'verified', provider: 'sandbox', event: EVENT });
    assert.equal(verify(first).kind, 'verified');
    assert.equal(calls(), 1);
    const forged = request('sandbox', 'forged');
    const verdict = verify(forged);
    assert.equal(verdict.kind, 'rejected');
    assert.equal(verify(forged), verdict);
    assert.equal(calls(), 2);
  });

  it('knows only the providers that post webhooks here', () => {
    const { providers, calls } = countingProviders();
    assert.deepEqual(createWebhookVerification(providers)(request('stars', '{}')), { kind: 'unknown-provider' });
    assert.equal(calls(), 0);
  });
});
