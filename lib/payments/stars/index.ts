/** Public surface of the Telegram Stars helpers (pure functions; the bot does the Bot API calls). */
export {
  checkPreCheckout,
  type PreCheckoutDecision,
  type PreCheckoutQueryLike,
  type PreCheckoutRefusal,
  type StarsOrder,
} from './check-pre-checkout';
export { MAX_STARS_SUBSCRIPTION_PRICE, rubToStars, starsOfAmountText } from './rub-to-stars';
export { parseStarsPayload, starsInvoicePayload, starsPayloadSchema } from './stars-payload';
export { refundStarsPayment, type StarsRefundApi, type StarsRefundResult } from './refund-stars-payment';
export {
  decideStarsCharge,
  type StarsChargeDecision,
  type StarsChargeFacts,
  type StarsChargeOrder,
  type StarsRefundReason,
} from './decide-stars-charge';
export {
  scanStarTransactions,
  STAR_TRANSACTIONS_PAGE,
  type IncomingStarsCharge,
  type StarsBotApi,
  type StarTransactionsScan,
} from './star-transactions';
