/**
 * The text of an operator alert: redaction of anything that looks like a secret, and the message
 * an operator reads in Telegram (kind, summary, the ids to act on, the rate limit's digest).
 */
import type { OperatorAlertRow } from '../sql/schemas/operator-alert-row';
import type { SuppressedDigest } from '../sql/repositories/alerts-repository';
import type { MessageButtons } from './telegram-sender';

/** Longest summary stored and sent, in characters (Telegram's message limit is 4096). */
export const MAX_ALERT_SUMMARY_LENGTH = 1500;

/** The shortest configured secret value scrubbed literally; shorter ones would blank ordinary words. */
const MIN_LITERAL_SECRET_LENGTH = 6;

const PATTERNS: ReadonlyArray<[RegExp, string]> = [
  // VLESS (and other proxy) links carry the client's credential.
  [/\b(?:vless|vmess|trojan|ss):\/\/\S+/gi, '[redacted link]'],
  // Subscription URLs: the token is the key to the subscription.
  [/\/sub\/[^\s/?#]+/gi, '/sub/[redacted]'],
  // Telegram bot tokens: <bot id>:<35 characters>.
  [/\b\d{5,}:[\w-]{20,}/g, '[redacted token]'],
  // Authorization headers.
  [/\b(Bearer|Basic)\s+\S+/gi, '$1 [redacted]'],
  // name=value or name: value for secret-looking names.
  [
    /\b([\w-]*(?:password|passwd|secret|token|api[_-]?key|apikey|salt|cookie|authorization|credential)s?)(["']?\s*[=:]\s*["']?)[^\s"',;&]+/gi,
    '$1$2[redacted]',
  ],
  // Long opaque strings: hex keys, base64 secrets, client uuids, session ids.
  [/\b[A-Za-z0-9+/_-]{32,}={0,2}/g, '[redacted]'],
];

/**
 * Removes what may be a secret from a text meant for operators: the configured secret values
 * (bot token, salts, provider keys) literally, then proxy links, /sub/ tokens, bot tokens,
 * authorization values, `password=...`-shaped pairs and long opaque strings. Ids, amounts and
 * names stay. Then trims to {@link MAX_ALERT_SUMMARY_LENGTH}.
 */
export function redactSecrets(text: string, knownSecrets: readonly string[] = []): string {
  let redacted = text;
  for (const secret of knownSecrets) {
    if (secret.length >= MIN_LITERAL_SECRET_LENGTH) redacted = redacted.split(secret).join('[redacted]');
  }
  for (const [pattern, replacement] of PATTERNS) redacted = redacted.replace(pattern, replacement);
  redacted = redacted.trim();
  if (redacted.length > MAX_ALERT_SUMMARY_LENGTH) redacted = `${redacted.slice(0, MAX_ALERT_SUMMARY_LENGTH - 1)}…`;
  return redacted === '' ? '(no summary)' : redacted;
}

/** The ids line: "subscription 42 · user 5 · payment 7 · server 3" (only those present). */
export function idsLine(alert: Pick<OperatorAlertRow, 'subscription_id' | 'user_id' | 'payment_id' | 'server_id'>): string {
  const parts = [
    alert.subscription_id === null ? null : `subscription ${alert.subscription_id}`,
    alert.user_id === null ? null : `user ${alert.user_id}`,
    alert.payment_id === null ? null : `payment ${alert.payment_id}`,
    alert.server_id === null ? null : `server ${alert.server_id}`,
  ].filter((part): part is string => part !== null);
  return parts.join(' · ');
}

function timeOf(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * The Telegram message of one alert, plain text:
 * ```
 * ⚠️ payment_unapplied
 * Payment 7 (completed 5 min ago) was never applied; handed to subscription 42 again.
 * subscription 42 · user 5 · payment 7
 * key: sweep:payment_unapplied:payment-7:r1:a1
 * + 3 more alerts held back by the rate limit since 2026-11-25 13:02 UTC: orphan_repaired ×2, ...
 * ```
 */
export function formatAlertMessage(alert: OperatorAlertRow, digest: readonly SuppressedDigest[]): string {
  const lines = [`⚠️ ${alert.kind}`, alert.summary];
  const ids = idsLine(alert);
  if (ids !== '') lines.push(ids);
  lines.push(`key: ${redactSecrets(alert.alert_key)}`);
  const total = digest.reduce((sum, entry) => sum + entry.count, 0);
  if (total > 0) {
    const since = digest.reduce(
      (earliest, entry) => (entry.since < earliest ? entry.since : earliest),
      digest[0]?.since ?? alert.created_at,
    );
    const perKind = digest.map((entry) => `${entry.kind} ×${entry.count}`).join(', ');
    lines.push(
      `+ ${total} more alert${total === 1 ? '' : 's'} held back by the rate limit since ${timeOf(since)}: ${perKind} (operator_alerts, status 'suppressed')`,
    );
  }
  return lines.join('\n');
}

/**
 * Buttons under an alert in the operators' chat, into the bot's operator console
 * (bot/features/admin-console.ts routes `adm:` callback data): the user's card, the subscription's
 * owner's card, the server's screen. Only ids travel; an alert about nothing in particular has none.
 */
export function alertButtons(alert: Pick<OperatorAlertRow, 'user_id' | 'subscription_id' | 'server_id'>): MessageButtons {
  const row: Array<{ text: string; callbackData: string }> = [];
  if (alert.user_id !== null) row.push({ text: `👤 User / Пользователь`, callbackData: `adm:u:${alert.user_id}` });
  if (alert.subscription_id !== null) row.push({ text: `📄 #${alert.subscription_id}`, callbackData: `adm:sub:${alert.subscription_id}` });
  if (alert.server_id !== null) row.push({ text: `🖥 Server / Сервер ${alert.server_id}`, callbackData: `adm:s:${alert.server_id}` });
  return row.length === 0 ? [] : [row];
}
