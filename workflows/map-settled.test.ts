import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { mapSettled } from './map-settled';

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('mapSettled', () => {
  it('keeps at most `limit` calls in flight and returns outcomes in input order', async () => {
    let inFlight = 0;
    let peak = 0;
    const outcomes = await mapSettled([5, 1, 4, 2, 3], 2, async (n) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      for (let i = 0; i < n; i += 1) await tick();
      inFlight -= 1;
      return n * 10;
    });
    assert.equal(peak, 2);
    assert.deepEqual(
      outcomes.map((o) => (o.ok ? o.value : null)),
      [50, 10, 40, 20, 30],
    );
  });

  it('turns an activity failure into its ApplicationFailure type and goes on with the rest', async () => {
    const outcomes = await mapSettled([1, 2], 8, async (n) => {
      if (n === 1) {
        throw new ActivityFailure(
          'activity failed',
          'probePanel',
          '1',
          RetryState.MAXIMUM_ATTEMPTS_REACHED,
          'worker',
          ApplicationFailure.create({ type: 'PANEL_UNAVAILABLE' }),
        );
      }
      return n;
    });
    assert.deepEqual(outcomes, [
      { item: 1, ok: false, error: 'PANEL_UNAVAILABLE' },
      { item: 2, ok: true, value: 2 },
    ]);
  });

  it('rethrows an error that is not a Temporal failure (a bug, not a verdict)', async () => {
    await assert.rejects(
      mapSettled([1], 1, async () => Promise.reject(new TypeError('bug'))),
      TypeError,
    );
  });

  it('handles no items', async () => {
    assert.deepEqual(await mapSettled([], 4, async () => 1), []);
  });
});
