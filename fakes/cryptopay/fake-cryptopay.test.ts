import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startFakeCryptoPay, type FakeCryptoPay } from './fake-cryptopay';

const fakes: FakeCryptoPay[] = [];
after(() => Promise.all(fakes.map((fake) => fake.close())));

describe('fake Crypto Pay (raw HTTP)', () => {
  it('takes parameters from the query string or a form, filters getInvoices by status, and envelopes errors', async () => {
    const fake = await startFakeCryptoPay({ token: 'T' });
    fakes.push(fake);
    const headers = { 'crypto-pay-api-token': 'T' };
    const viaQuery = await fetch(`${fake.apiUrl}/createInvoice?currency_type=fiat&fiat=RUB&amount=150&payload=9`, { headers });
    const invoice = ((await viaQuery.json()) as { ok: boolean; result: { invoice_id: number; status: string; amount: string } }).result;
    assert.deepEqual([invoice.status, invoice.amount], ['active', '150']);
    const viaForm = await fetch(`${fake.apiUrl}/createInvoice`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'currency_type=crypto&asset=TON&amount=1.5',
    });
    assert.equal(viaForm.status, 200);
    fake.controls.pay(invoice.invoice_id);
    const paid = (await (await fetch(`${fake.apiUrl}/getInvoices?status=paid`, { headers })).json()) as {
      result: { items: Array<{ invoice_id: number; paid_amount: string }> };
    };
    assert.deepEqual(
      paid.result.items.map((item) => [item.invoice_id, item.paid_amount]),
      [[invoice.invoice_id, '1.50']],
    );
    const badFiat = await fetch(`${fake.apiUrl}/createInvoice?currency_type=fiat&fiat=XXX&amount=1`, { headers });
    assert.deepEqual([badFiat.status, await badFiat.json()], [400, { ok: false, error: { code: 400, name: 'FIAT_INVALID' } }]);
    const unknown = await fetch(`${fake.apiUrl}/transfer`, { headers });
    assert.equal(((await unknown.json()) as { error: { name: string } }).error.name, 'METHOD_NOT_FOUND');
    const anonymous = await fetch(`${fake.apiUrl}/getMe`);
    assert.deepEqual([anonymous.status, await anonymous.json()], [401, { ok: false, error: { code: 401, name: 'UNAUTHORIZED' } }]);
  });
});
