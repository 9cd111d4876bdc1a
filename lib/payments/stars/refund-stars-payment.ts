import { GrammyError } from 'grammy';

/** The one Bot API call a Stars refund needs (grammY's `Api` has it). */
export interface StarsRefundApi {
  refundStarPayment(userId: number, telegramPaymentChargeId: string): Promise<true>;
}

/** What a refund did. */
export interface StarsRefundResult {
  /** The Stars are back with the user (now or by an earlier call). */
  refunded: true;
  /** Telegram answered CHARGE_ALREADY_REFUNDED: an earlier call (or an operator) did it. */
  alreadyRefunded: boolean;
}

/**
 * Refunds a Telegram Stars payment to the payer (Bot API refundStarPayment). A repeat is a
 * success: Telegram's CHARGE_ALREADY_REFUNDED means the money is already back, so a retried
 * refund never fails for having worked the first time.
 *
 * @idempotency telegramPaymentChargeId
 * @throws GrammyError for any other refusal (e.g. CHARGE_NOT_FOUND) and network errors
 */
export async function refundStarsPayment(
  api: StarsRefundApi,
  input: { telegramUserId: number; telegramPaymentChargeId: string },
): Promise<StarsRefundResult> {
  try {
    await api.refundStarPayment(input.telegramUserId, input.telegramPaymentChargeId);
    return { refunded: true, alreadyRefunded: false };
  } catch (error) {
    if (error instanceof GrammyError && error.description.includes('CHARGE_ALREADY_REFUNDED')) {
      return { refunded: true, alreadyRefunded: true };
    }
    throw error;
  }
}
