/** The sandbox's checkout page: the invoice, and Pay / Fail buttons while it is pending. */
import type { SandboxInvoice } from '../../lib/payments/sandbox/sandbox-schemas';

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] ?? ch);

/** HTML for one invoice. */
export function renderCheckoutPage(invoice: SandboxInvoice): string {
  const id = encodeURIComponent(invoice.id);
  const actions =
    invoice.status === 'pending'
      ? `<form method="post" action="/checkout/${id}/pay"><button>Pay ${escape(invoice.amount)} ${escape(invoice.currency)}</button></form>
<form method="post" action="/checkout/${id}/fail"><button>Fail</button></form>`
      : `<p><a href="${escape(invoice.returnUrl)}">Back to the shop</a></p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Sandbox checkout</title>
<style>body{font:16px system-ui;max-width:28rem;margin:3rem auto;padding:0 1rem}form{display:inline-block;margin-right:1rem}button{font-size:1rem;padding:.5rem 1rem}</style></head>
<body><h1>Sandbox checkout</h1><p>No real money moves here.</p>
<p>${escape(invoice.description)}<br>Order ${invoice.orderId}, ${escape(invoice.method)}: <b>${escape(invoice.amount)} ${escape(invoice.currency)}</b></p>
<p>Status: <b id="status">${invoice.status}</b></p>
${actions}
</body></html>`;
}
