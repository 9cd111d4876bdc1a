/**
 * The customers of the fault test. Each purchase is what a Telegram user does: the bot's own
 * purchase service (usecases/start-purchase.ts, in this process instead of the bot's)
 * creates the order and the payment workflow hands back the sandbox checkout link; then the user
 * presses Pay on the checkout page, and the sandbox provider sends its signed webhook to the api.
 * A user whose order fails (Postgres or Temporal down) tries again a few seconds later, as people
 * do; payment is never repeated once the checkout accepted it.
 */
import type { Client } from '@temporalio/client';
import { z } from 'zod';
import type { DatabasePool } from '../../lib/db/create-pool';
import { createPaymentProviders, paymentFields } from '../../lib/payments/payments-config';
import { createPurchaseService } from '../../usecases/start-purchase';
import { getOrCreateUser } from '../../sql/repositories/users-repository';
import type { PaymentMethod } from '../../sql/schemas/payment-row';

/** One customer's purchase as the test saw it. */
export interface Purchase {
  index: number;
  telegramId: number;
  userId?: number;
  planId: number;
  method: PaymentMethod;
  /** Order attempts (each startPurchase call). */
  attempts: number;
  invoiceId?: string;
  orderedAt?: number;
  /** When the checkout accepted the payment (money taken), ms since epoch. */
  paidAt?: number;
  /** When the key message was first seen in the user's Telegram chat. */
  keySeenAt?: number;
  /** Key messages in the chat at the last look. */
  keyMessages: number;
  /** Why the order could not be placed within its bound, when it could not. */
  gaveUp?: string;
}

/** What the driver needs. */
export interface PurchaseDriverDeps {
  db: DatabasePool;
  temporal: Client;
  taskQueue: string;
  sandboxUrl: string;
  sandboxSecret: string;
  log: (line: string) => void;
  /** Bound on one customer's retries, in milliseconds. */
  orderBoundMs: number;
  /** Told each time a checkout takes a payment (the fault plan aims worker kills at it). */
  onPaid?: (purchase: Purchase) => void;
}

const METHODS: PaymentMethod[] = ['card', 'sbp', 'crypto'];
const PLANS = [1, 2, 3, 4];
const TELEGRAM_ID_BASE = 700_000_000;

/** Builds the driver. */
export function createPurchaseDriver(deps: PurchaseDriverDeps) {
  const providers = createPaymentProviders(
    z.object(paymentFields).parse({ SANDBOX_PAY_URL: deps.sandboxUrl, SANDBOX_PAY_SECRET: deps.sandboxSecret }),
  );
  const purchases = createPurchaseService({
    db: deps.db,
    payments: { client: deps.temporal, taskQueue: deps.taskQueue, timeoutMinutes: 60 },
    providers,
    starsKopecksPerStar: 'disabled',
    invoiceWaitMs: 10_000,
  });

  async function retrying<T>(purchase: Purchase, what: string, deadline: number, step: () => Promise<T | undefined>): Promise<T> {
    let last = '';
    for (;;) {
      try {
        const result = await step();
        if (result !== undefined) return result;
        last = 'refused';
      } catch (error) {
        last = error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error);
      }
      if (Date.now() > deadline) throw new Error(`${what}: ${last}`);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    }
  }

  /** Runs customer `index` to the point where they have paid (or gives up at the bound). */
  async function buy(index: number): Promise<Purchase> {
    const purchase: Purchase = {
      index,
      telegramId: TELEGRAM_ID_BASE + index,
      planId: PLANS[index % PLANS.length] ?? 1,
      method: METHODS[index % METHODS.length] ?? 'card',
      attempts: 0,
      keyMessages: 0,
    };
    const deadline = Date.now() + deps.orderBoundMs;
    try {
      const userId = await retrying(purchase, 'user', deadline, async () => {
        const { user } = await getOrCreateUser(deps.db, {
          telegramId: purchase.telegramId,
          firstName: `Fault ${index}`,
          languageCode: 'en',
        });
        return user.id;
      });
      purchase.userId = userId;
      const url = await retrying(purchase, 'order', deadline, async () => {
        purchase.attempts += 1;
        const result = await purchases.startPurchase({ userId, planId: purchase.planId, method: purchase.method });
        return result.kind === 'redirect' ? result.url : undefined;
      });
      purchase.orderedAt = Date.now();
      const invoiceId = decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '');
      purchase.invoiceId = invoiceId;
      // The person presses Pay; the sandbox is never faulted, so a failure here is the test's.
      const paid = await fetch(`${deps.sandboxUrl}/checkout/${encodeURIComponent(invoiceId)}/pay`, { method: 'POST', redirect: 'manual' });
      if (paid.status !== 303) throw new Error(`checkout answered ${paid.status}`);
      const invoice = await fetch(`${deps.sandboxUrl}/api/invoices/${encodeURIComponent(invoiceId)}`, {
        headers: { authorization: `Bearer ${deps.sandboxSecret}` },
      });
      const state = (await invoice.json()) as { status?: string };
      if (state.status !== 'succeeded') throw new Error(`the checkout did not take the payment (invoice ${state.status})`);
      purchase.paidAt = Date.now();
      deps.onPaid?.(purchase);
    } catch (error) {
      purchase.gaveUp = error instanceof Error ? error.message : String(error);
      deps.log(`customer ${index} gave up: ${purchase.gaveUp}`);
    }
    return purchase;
  }

  return { buy };
}

/**
 * Looks into each paying user's chat on the fake Telegram (its chat simulator API) and records
 * when a key message (a `vless://` link) first appears, and how many there are.
 */
export async function lookForKeys(telegramUrl: string, purchases: readonly Purchase[]): Promise<void> {
  await Promise.all(
    purchases
      .filter((purchase) => purchase.paidAt !== undefined)
      .map(async (purchase) => {
        try {
          const response = await fetch(`${telegramUrl}/__sim/chat?user=${purchase.telegramId}`);
          if (!response.ok) return;
          const chat = (await response.json()) as { messages: Array<{ text: string }> };
          const keys = chat.messages.filter((message) => message.text.includes('vless://')).length;
          purchase.keyMessages = keys;
          if (keys > 0) purchase.keySeenAt ??= Date.now();
        } catch {
          // the fake is not faulted; a failed look is retried on the next round
        }
      }),
  );
}
