import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SEEN_PAYMENTS_LIMIT, decideNext, initialSubscriptionState } from './subscription-state';

describe('decideNext', () => {
  it('activates on the first completed payment and ignores its redelivery', () => {
    const first = decideNext(initialSubscriptionState(), { type: 'paymentCompleted', payment: { paymentId: 1 } });
    assert.equal(first.applied, true);
    assert.equal(first.state.status, 'active');
    const again = decideNext(first.state, { type: 'paymentCompleted', payment: { paymentId: 1 } });
    assert.equal(again.applied, false);
    assert.equal(again.state, first.state);
  });

  it('ignores payments after cancellation and a second cancel', () => {
    const cancelled = decideNext(initialSubscriptionState(), { type: 'cancel' });
    assert.equal(cancelled.state.status, 'cancelled');
    assert.equal(decideNext(cancelled.state, { type: 'paymentCompleted', payment: { paymentId: 2 } }).applied, false);
    assert.equal(decideNext(cancelled.state, { type: 'cancel' }).applied, false);
  });

  it('keeps a bounded list of seen payment ids', () => {
    let state = initialSubscriptionState();
    for (let id = 1; id <= SEEN_PAYMENTS_LIMIT + 5; id += 1) {
      state = decideNext(state, { type: 'paymentCompleted', payment: { paymentId: id } }).state;
    }
    assert.equal(state.seenPaymentIds.length, SEEN_PAYMENTS_LIMIT);
    assert.equal(state.seenPaymentIds[0], 6);
  });
});
