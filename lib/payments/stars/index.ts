/** Public surface of the Telegram Stars helpers (pure functions; the bot does the Bot API calls). */
export { checkPreCheckout, type PreCheckoutDecision, type PreCheckoutQueryLike, type PreCheckoutRefusal, type StarsOrder } from './check-pre-checkout';
export { MAX_STARS_SUBSCRIPTION_PRICE, rubToStars, starsOfAmountText } from './rub-to-stars';
export { parseStarsPayload, starsInvoicePayload, starsPayloadSchema } from './stars-payload';
export { refundStarsPayment, type StarsRefundApi, type StarsRefundResult } from './refund-stars-payment';
