import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scanStarTransactions, type StarsBotApi } from './star-transactions';

/** A transaction list of `count` entries: user payments, a refund of the first, and a withdrawal. */
function list(count: number): Record<string, unknown>[] {
  const entries: Record<string, unknown>[] = [];
  for (let index = 0; index < count; index++) {
    entries.push({
      id: `stx-${index}`,
      amount: 10 + index,
      date: 1_700_000_000 + index,
      source: {
        type: 'user',
        transaction_type: 'invoice_payment',
        user: { id: 5000 + index, is_bot: false, first_name: 'U' },
        invoice_payload: `order:${index + 1}`,
      },
    });
  }
  entries.push({
    id: 'stx-0',
    amount: 10,
    date: 1_800_000_000,
    receiver: { type: 'user', transaction_type: 'invoice_payment', user: { id: 5000 } },
  });
  entries.push({ id: 'wd-1', amount: 500, date: 1_800_000_001, receiver: { type: 'fragment' } });
  entries.push({
    id: 'gift-1',
    amount: 5,
    date: 1_800_000_002,
    source: { type: 'user', transaction_type: 'gift_purchase', user: { id: 9 } },
  });
  entries.push({ malformed: true });
  return entries;
}

function stubApi(entries: Record<string, unknown>[]): StarsBotApi & { calls: Array<{ offset?: number; limit?: number }> } {
  const calls: Array<{ offset?: number; limit?: number }> = [];
  return {
    calls,
    refundStarPayment: async () => true,
    getStarTransactions: async (other = {}) => {
      calls.push(other);
      const offset = other.offset ?? 0;
      return { transactions: entries.slice(offset, offset + (other.limit ?? 100)) };
    },
  };
}

describe('scanStarTransactions', () => {
  it('pages through the whole list with offset/limit and keeps only incoming invoice payments of users', async () => {
    const api = stubApi(list(250));
    const scan = await scanStarTransactions(api, { offset: 0 });
    assert.deepEqual(api.calls, [
      { offset: 0, limit: 100 },
      { offset: 100, limit: 100 },
      { offset: 200, limit: 100 },
    ]);
    assert.equal(scan.pages, 3);
    assert.equal(scan.endOffset, 254);
    assert.equal(scan.incoming.length, 250);
    assert.deepEqual(scan.incoming[249], {
      telegramPaymentChargeId: 'stx-249',
      telegramUserId: 5249,
      invoicePayload: 'order:250',
      amount: 259,
      date: new Date((1_700_000_000 + 249) * 1000),
      offset: 249,
      raw: list(250)[249],
    });
    assert.deepEqual([...scan.refundedIds], ['stx-0']);
  });

  it('starts at the offset and stops after maxPages', async () => {
    const api = stubApi(list(250));
    const scan = await scanStarTransactions(api, { offset: 120, maxPages: 1 });
    assert.deepEqual(api.calls, [{ offset: 120, limit: 100 }]);
    assert.equal(scan.endOffset, 220);
    assert.equal(scan.incoming[0]?.telegramPaymentChargeId, 'stx-120');
    const rest = await scanStarTransactions(api, { offset: scan.endOffset });
    assert.equal(rest.endOffset, 254);
    assert.equal(rest.incoming.length, 30);
  });
});
