import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { badRequest } from './bot-api-error';
import type { FakeMessage, FakeUser, FakeUserInput } from './create-chat-store';
import type { FakeBotState, MethodHandler } from './fake-bot-state';
import { boolParam, intParam, jsonParam, parseParams, replyMarkupParam } from './telegram-params';

/** The one subscription period Telegram accepts for Star subscriptions: 30 days, in seconds. */
export const STAR_SUBSCRIPTION_PERIOD_SECONDS = 2_592_000;

/** Options of {@link StarsPayments.userPays}. */
export interface PayOptions {
  /** Stars to pay; defaults to the price of the invoice sent with that payload. */
  totalAmount?: number;
  /**
   * How many times the `successful_payment` update is delivered (default 1), to test
   * deduplication; 0 = Telegram charges the user but the update never reaches the bot (it is lost,
   * or the bot crashed before handling it): the charge is then only in getStarTransactions.
   */
  deliveries?: number;
}

/** How a simulated checkout ended. */
export type PayOutcome =
  | { status: 'paid'; telegramPaymentChargeId: string; message: FakeMessage }
  | { status: 'declined'; errorMessage: string }
  | { status: 'expired' };

/** Telegram Stars as the fake emulates them: invoices, checkout, refunds and the transaction log. */
export interface StarsPayments {
  methods: Record<string, MethodHandler>;
  /**
   * A user pays an invoice: emits `pre_checkout_query`, and only if the bot answers `ok` within
   * the deadline, a `message.successful_payment` (with `is_recurring` for subscription invoices).
   *
   * @throws Error when no invoice with `payload` was sent and no `totalAmount` is given
   */
  userPays(user: FakeUserInput, payload: string, options?: PayOptions): Promise<PayOutcome>;
  /** Telegram charges the next period of a Star subscription: a new `successful_payment`, no pre-checkout. */
  renewSubscription(user: FakeUserInput, payload: string): FakeMessage;
  /** Ends pending checkouts as expired (shutdown). */
  close(): void;
}

const invoiceSchema = z.object({
  title: z.string().min(1).max(32),
  description: z.string().min(1).max(255),
  payload: z.string().refine((value) => Buffer.byteLength(value) >= 1 && Buffer.byteLength(value) <= 128, 'PAYLOAD_INVALID'),
  provider_token: z.literal('').optional(),
  currency: z.literal('XTR', 'CURRENCY_INVALID: only XTR is supported by the fake'),
  prices: jsonParam(
    z.array(z.object({ label: z.string().min(1), amount: intParam.positive() })).length(1, 'exactly one price is required for XTR'),
  ),
  subscription_period: intParam.optional(),
  reply_markup: replyMarkupParam.optional(),
});
const answerSchema = z.object({ pre_checkout_query_id: z.string(), ok: boolParam, error_message: z.string().optional() });

interface Charge {
  user: FakeUser;
  amount: number;
  payload: string;
  refunded: boolean;
}

/**
 * Creates the Stars part of the fake.
 *
 * @param preCheckoutDeadlineMs how long the bot has to answer a pre-checkout query (Telegram: 10 s)
 */
export function createStarsPayments(state: FakeBotState, preCheckoutDeadlineMs: number): StarsPayments {
  const { chats, queue } = state;
  const invoices = new Map<string, { amount: number; subscriptionPeriod: number | undefined }>();
  const pendingCheckouts = new Map<string, { timer: NodeJS.Timeout; settle(answer: z.infer<typeof answerSchema> | 'expired'): void }>();
  const charges = new Map<string, Charge>();
  const transactions: Record<string, unknown>[] = [];
  let checkoutSeq = 0;

  const validInvoice = (params: Record<string, unknown>) => {
    const invoice = parseParams(invoiceSchema, params);
    const amount = invoice.prices[0]?.amount ?? 0;
    if (invoice.subscription_period !== undefined) {
      if (invoice.subscription_period !== STAR_SUBSCRIPTION_PERIOD_SECONDS) throw badRequest('SUBSCRIPTION_PERIOD_INVALID');
      if (amount > 10_000) throw badRequest('STARS_AMOUNT_INVALID');
    }
    invoices.set(invoice.payload, { amount, subscriptionPeriod: invoice.subscription_period });
    return { ...invoice, amount };
  };
  const userMessage = (user: FakeUser, fields: Record<string, unknown>): FakeMessage =>
    chats.add(user.id, 'user', (messageId, date) => ({ message_id: messageId, from: user, chat: chats.chat(user.id), date, ...fields }))
      .message;
  const charge = (user: FakeUser, payload: string, amount: number, recurring: 'first' | 'renewal' | undefined) => {
    const chargeId = `stxFAKE${randomBytes(12).toString('hex')}`;
    const now = Math.floor(Date.now() / 1000);
    charges.set(chargeId, { user, amount, payload, refunded: false });
    const period = invoices.get(payload)?.subscriptionPeriod;
    transactions.push({
      id: chargeId,
      amount,
      date: now,
      source: {
        type: 'user',
        transaction_type: 'invoice_payment',
        user,
        invoice_payload: payload,
        ...(period === undefined ? {} : { subscription_period: period }),
      },
    });
    const message = userMessage(user, {
      successful_payment: {
        currency: 'XTR',
        total_amount: amount,
        invoice_payload: payload,
        telegram_payment_charge_id: chargeId,
        provider_payment_charge_id: `${user.id}_${transactions.length}`,
        ...(recurring === undefined
          ? {}
          : {
              subscription_expiration_date: now + (period ?? 0),
              is_recurring: true,
              ...(recurring === 'first' ? { is_first_recurring: true } : {}),
            }),
      },
    });
    return { chargeId, message };
  };

  const methods: Record<string, MethodHandler> = {
    sendInvoice(params) {
      const { chat_id } = parseParams(z.object({ chat_id: intParam }), params);
      const invoice = validInvoice(params);
      return chats.add(
        chat_id,
        'bot',
        (messageId, date) => ({
          message_id: messageId,
          from: { id: state.botUser.id, is_bot: true, first_name: state.botUser.first_name, username: state.botUser.username },
          chat: chats.chat(chat_id),
          date,
          invoice: {
            title: invoice.title,
            description: invoice.description,
            start_parameter: '',
            currency: 'XTR',
            total_amount: invoice.amount,
          },
          ...(invoice.reply_markup === undefined ? {} : { reply_markup: invoice.reply_markup }),
        }),
        { invoicePayload: invoice.payload },
      ).message;
    },
    createInvoiceLink(params) {
      validInvoice(params);
      return `https://t.me/$fake${randomBytes(9).toString('base64url')}`;
    },
    answerPreCheckoutQuery(params) {
      const answer = parseParams(answerSchema, params);
      if (!answer.ok && (answer.error_message ?? '') === '') throw badRequest('ERROR_MESSAGE_EMPTY');
      const pending = pendingCheckouts.get(answer.pre_checkout_query_id);
      if (pending === undefined) throw badRequest('query is too old and response timeout expired or query ID is invalid');
      pending.settle(answer);
      return true;
    },
    refundStarPayment(params) {
      const { user_id, telegram_payment_charge_id } = parseParams(
        z.object({ user_id: intParam, telegram_payment_charge_id: z.string() }),
        params,
      );
      const found = charges.get(telegram_payment_charge_id);
      if (found === undefined || found.user.id !== user_id) throw badRequest('CHARGE_NOT_FOUND');
      if (found.refunded) throw badRequest('CHARGE_ALREADY_REFUNDED');
      found.refunded = true;
      transactions.push({
        id: telegram_payment_charge_id,
        amount: found.amount,
        date: Math.floor(Date.now() / 1000),
        receiver: { type: 'user', transaction_type: 'invoice_payment', user: found.user, invoice_payload: found.payload },
      });
      const message = userMessage(found.user, {
        refunded_payment: {
          currency: 'XTR',
          total_amount: found.amount,
          invoice_payload: found.payload,
          telegram_payment_charge_id,
        },
      });
      queue.push({ message });
      return true;
    },
    getStarTransactions(params) {
      const { offset, limit } = parseParams(
        z.object({ offset: intParam.min(0).optional(), limit: intParam.min(1).max(100).optional() }),
        params,
      );
      const start = offset ?? 0;
      return { transactions: transactions.slice(start, start + (limit ?? 100)) };
    },
  };

  return {
    methods,
    async userPays(input, payload, options = {}) {
      const user = chats.user(input);
      const invoice = invoices.get(payload);
      const amount = options.totalAmount ?? invoice?.amount;
      if (amount === undefined) throw new Error('userPays: no invoice with this payload was sent; pass totalAmount');
      const id = `fake-pcq-${++checkoutSeq}`;
      const verdict = await new Promise<z.infer<typeof answerSchema> | 'expired'>((resolve) => {
        const settle = (answer: z.infer<typeof answerSchema> | 'expired') => {
          clearTimeout(pendingCheckouts.get(id)?.timer);
          pendingCheckouts.delete(id);
          resolve(answer);
        };
        pendingCheckouts.set(id, { timer: setTimeout(() => settle('expired'), preCheckoutDeadlineMs), settle });
        queue.push({ pre_checkout_query: { id, from: user, currency: 'XTR', total_amount: amount, invoice_payload: payload } });
      });
      if (verdict === 'expired') return { status: 'expired' };
      if (!verdict.ok) return { status: 'declined', errorMessage: verdict.error_message ?? '' };
      const recurring = invoice?.subscriptionPeriod === undefined ? undefined : 'first';
      const { chargeId, message } = charge(user, payload, amount, recurring);
      for (let delivery = 0; delivery < Math.max(options.deliveries ?? 1, 0); delivery++) queue.push({ message });
      return { status: 'paid', telegramPaymentChargeId: chargeId, message };
    },
    renewSubscription(input, payload) {
      const invoice = invoices.get(payload);
      if (invoice?.subscriptionPeriod === undefined) throw new Error('renewSubscription: no subscription invoice with this payload');
      const { message } = charge(chats.user(input), payload, invoice.amount, 'renewal');
      queue.push({ message });
      return message;
    },
    close() {
      for (const pending of [...pendingCheckouts.values()]) pending.settle('expired');
    },
  };
}
