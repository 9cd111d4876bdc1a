/**
 * `GET /payments/return`: where payment providers send the payer back after paying (the default
 * return URL, `<PUBLIC_BASE_URL>/payments/return`). It only says to go back to Telegram: the bot
 * confirms the payment there once the provider's verdict is in.
 */
import type { FastifyInstance } from 'fastify';

const PAGE = `<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Оплата / Payment</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem">
<p>Спасибо! Вернитесь в Telegram: бот пришлёт ключ, как только платёж подтвердится.</p>
<p>Thank you! Go back to Telegram: the bot sends your key as soon as the payment is confirmed.</p>
</body></html>`;

/** Registers the return page. */
export function registerPaymentReturnRoute(app: FastifyInstance): void {
  app.get('/payments/return', async (_request, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
}
