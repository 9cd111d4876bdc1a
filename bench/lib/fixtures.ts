/**
 * Data the benches need: many users at once (one INSERT), the cheapest plan, purchases started
 * as the bot starts them (createPurchaseService: payments row + payment workflow + invoice), and
 * the signed sandbox webhook a provider would post once a payer pays.
 */
import { sql } from 'slonik';
import { z } from 'zod';
import { parseConfig } from '../../lib/config/parse-config';
import { hmacSha256Hex } from '../../lib/payments/hmac-signature';
import { paymentFields, createPaymentProviders } from '../../lib/payments/payments-config';
import { SANDBOX_SIGNATURE_HEADER } from '../../lib/payments/sandbox';
import { listActivePlans } from '../../sql/repositories/plans-repository';
import { createPurchaseService, type PurchaseService } from '../../usecases/start-purchase';
import type { BenchStack } from './stack';

/** A user the bench made: database id and Telegram id (the chat the worker writes to). */
export interface BenchUser {
  id: number;
  telegramId: number;
}

/** Inserts `count` users with Telegram ids from `firstTelegramId` on, in one statement. */
export async function createUsers(stack: BenchStack, firstTelegramId: number, count: number): Promise<BenchUser[]> {
  const rows = await stack.db.any(sql.type(z.object({ id: z.number(), telegram_id: z.coerce.number() }))`
    INSERT INTO users (telegram_id, first_name)
    SELECT g, 'bench ' || g FROM generate_series(${firstTelegramId}::bigint, ${firstTelegramId + count - 1}::bigint) AS g
    RETURNING id, telegram_id
  `);
  return rows.map((row) => ({ id: row.id, telegramId: row.telegram_id }));
}

/** The cheapest active plan's id. */
export async function cheapestPlanId(stack: BenchStack): Promise<number> {
  const [cheapest] = await listActivePlans(stack.db);
  if (cheapest === undefined) throw new Error('no active plan (the seed adds some)');
  return cheapest.id;
}

/** The purchase service as the bot builds it, paying through the bench's sandbox. */
export function benchPurchaseService(stack: BenchStack): PurchaseService {
  const config = parseConfig(z.object(paymentFields), { SANDBOX_PAY_URL: stack.sandbox.url, SANDBOX_PAY_SECRET: stack.sandboxSecret });
  return createPurchaseService({
    db: stack.db,
    payments: { client: stack.client, taskQueue: stack.taskQueue, timeoutMinutes: 24 * 60 },
    providers: createPaymentProviders(config),
    starsKopecksPerStar: 'disabled',
    invoiceWaitMs: 120_000,
  });
}

/** A purchase waiting for its payer: the sandbox invoice and the payment it belongs to. */
export interface PendingPurchase {
  user: BenchUser;
  invoiceId: string;
  paymentId: number;
}

/** Starts a card purchase for `user` and returns its invoice. */
export async function startPendingPurchase(
  service: PurchaseService,
  stack: BenchStack,
  user: BenchUser,
  planId: number,
): Promise<PendingPurchase> {
  const result = await service.startPurchase({ userId: user.id, planId, method: 'card' });
  if (result.kind !== 'redirect') throw new Error(`purchase for user ${user.id} did not start: ${JSON.stringify(result)}`);
  const invoiceId = decodeURIComponent(result.url.split('/checkout/')[1] ?? '');
  const invoice = stack.sandbox.invoices.get(invoiceId);
  if (invoice === undefined) throw new Error(`no sandbox invoice ${invoiceId}`);
  return { user, invoiceId, paymentId: invoice.orderId };
}

/** Marks the invoice paid in the sandbox (its own webhook goes to the sink). */
export async function payInvoice(stack: BenchStack, invoiceId: string): Promise<void> {
  const response = await fetch(`${stack.sandbox.url}/checkout/${encodeURIComponent(invoiceId)}/pay`, {
    method: 'POST',
    redirect: 'manual',
  });
  await response.arrayBuffer();
  if (response.status !== 303) throw new Error(`sandbox pay answered ${response.status}`);
}

/** The signed `payment.<event>` webhook body and headers for an invoice, as the sandbox sends it. */
export function signedWebhook(
  stack: BenchStack,
  invoiceId: string,
  event: 'payment.succeeded' | 'payment.canceled' = 'payment.succeeded',
): { body: string; headers: Record<string, string> } {
  const invoice = stack.sandbox.invoices.get(invoiceId);
  if (invoice === undefined) throw new Error(`no sandbox invoice ${invoiceId}`);
  const body = JSON.stringify({ event, invoice });
  return { body, headers: { [SANDBOX_SIGNATURE_HEADER]: hmacSha256Hex(stack.sandboxSecret, body) } };
}

/** Runs `task` over `items` with at most `concurrency` at once; returns results in order. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await task(items[index] as T, index);
      }
    }),
  );
  return results;
}
