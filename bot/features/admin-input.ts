/**
 * The operator console's pending inputs: after a button asks for a value (days, an amount and
 * reason, a search, a broadcast text, a promo code, a server), the operator's next text message
 * in that chat answers it.
 *
 * Why a small per-chat store and not @grammyjs/conversations or a table: conversations replays
 * handler code over a stored log of updates and needs the session plugin and a storage adapter,
 * a lot of machinery for one-question prompts; a table needs a migration for state that is worth
 * nothing after a few minutes. Each prompt here is one question whose answer is validated on its
 * own, and nothing is sent, charged or changed until the operator presses an explicit confirm
 * button (whose action is idempotent by its request key). So the store is in memory, per bot
 * process, with a time limit: a restart or a timeout only means pressing the button again.
 */
import type { BroadcastAudience } from '../../usecases/broadcasts';

/** What the operator's next message answers. */
export type PendingInput =
  | { kind: 'find' }
  | { kind: 'extend'; subscriptionId: number }
  | { kind: 'balance'; userId: number; telegramId: number }
  | { kind: 'broadcast-text'; audience: BroadcastAudience }
  /** A previewed broadcast waiting for its confirm button. */
  | { kind: 'broadcast-confirm'; audience: BroadcastAudience; text: string }
  | { kind: 'promo' }
  | { kind: 'server-add' }
  | { kind: 'server-edit'; serverId: number };

/** The pending input of each operator chat. */
export interface AdminInputs {
  get(chatId: number): PendingInput | undefined;
  set(chatId: number, input: PendingInput): void;
  clear(chatId: number): void;
}

/** An in-memory {@link AdminInputs}; an input older than `ttlMs` (default 15 minutes) is forgotten. */
export function createMemoryAdminInputs(options: { ttlMs?: number; now?: () => number } = {}): AdminInputs {
  const ttlMs = options.ttlMs ?? 15 * 60_000;
  const now = options.now ?? Date.now;
  const inputs = new Map<number, { input: PendingInput; at: number }>();
  return {
    get(chatId) {
      const entry = inputs.get(chatId);
      if (entry === undefined) return undefined;
      if (now() - entry.at > ttlMs) {
        inputs.delete(chatId);
        return undefined;
      }
      return entry.input;
    },
    set: (chatId, input) => void inputs.set(chatId, { input, at: now() }),
    clear: (chatId) => void inputs.delete(chatId),
  };
}

/** Days of an extension: a whole number 1..3650, else null. */
export function parseDays(text: string): number | null {
  const match = /^\s*(\d{1,4})\s*$/.exec(text);
  if (match === null) return null;
  const days = Number(match[1]);
  return days >= 1 && days <= 3650 ? days : null;
}

/** A balance adjustment: `+150 reason`, `-49,50 reason` → signed kopecks and the reason; else null. */
export function parseBalanceAdjustment(text: string): { amountKopecks: bigint; reason: string } | null {
  const match = /^\s*([+-])\s?(\d{1,9})(?:[.,](\d{1,2}))?\s*(?:₽|руб\.?|rub)?\s+(\S[\s\S]{0,499})$/iu.exec(text);
  if (match === null) return null;
  const [, sign, whole = '0', fraction = '', reason = ''] = match;
  const kopecks = BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0') || '0');
  if (kopecks === 0n) return null;
  return { amountKopecks: sign === '-' ? -kopecks : kopecks, reason: reason.trim() };
}

/** A new promo code as typed: `CODE 25% [LIMIT] [YYYY-MM-DD]` or `CODE 100₽ ...`; null when malformed. */
export function parsePromo(
  text: string,
  now: Date,
): { code: string; percentOff?: number; amountOffKopecks?: bigint; maxRedemptions: number | null; expiresAt: Date | null } | null {
  const [code, discount, ...rest] = text.trim().split(/\s+/);
  if (code === undefined || discount === undefined || !/^[A-Za-z0-9_-]{3,32}$/.test(code) || rest.length > 2) return null;
  let percentOff: number | undefined;
  let amountOffKopecks: bigint | undefined;
  const percent = /^(\d{1,3})%$/.exec(discount);
  const amount = /^(\d{1,7})(?:[.,](\d{1,2}))?(?:₽|р|руб|rub)$/iu.exec(discount);
  if (percent !== null) {
    percentOff = Number(percent[1]);
    if (percentOff < 1 || percentOff > 100) return null;
  } else if (amount !== null) {
    amountOffKopecks = BigInt(amount[1] ?? '0') * 100n + BigInt((amount[2] ?? '').padEnd(2, '0') || '0');
    if (amountOffKopecks <= 0n) return null;
  } else return null;
  let maxRedemptions: number | null = null;
  let expiresAt: Date | null = null;
  for (const word of rest) {
    if (/^\d{1,7}$/.test(word) && maxRedemptions === null && Number(word) > 0) maxRedemptions = Number(word);
    else if (/^\d{4}-\d{2}-\d{2}$/.test(word) && expiresAt === null) {
      const date = new Date(`${word}T23:59:59Z`);
      if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== word || date <= now) return null;
      expiresAt = date;
    } else return null;
  }
  return {
    code: code.toUpperCase(),
    ...(percentOff === undefined ? {} : { percentOff }),
    ...(amountOffKopecks === undefined ? {} : { amountOffKopecks }),
    maxRedemptions,
    expiresAt,
  };
}
