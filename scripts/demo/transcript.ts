/** Renders the demo's steps as a plain-text transcript: what the user did, then what the bot showed. */
import type { RecordedCall } from '../../fakes/telegram';
import { buttonRows, type Step } from './chat-driver';

/** Lines of a message's text shown per message. */
const MAX_LINES = 20;

/** The text of a call (message text, photo caption or toast) with Telegram HTML turned into plain text. */
export function plainText(call: RecordedCall): string {
  const raw = call.params['text'] ?? call.params['caption'];
  if (typeof raw !== 'string') return '';
  return raw
    .replace(/<br\s*\/?>/g, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}

const KIND: Record<string, string> = {
  sendMessage: 'message',
  sendPhoto: 'photo',
  sendDocument: 'document',
  editMessageText: 'message edited',
  editMessageCaption: 'caption edited',
  editMessageReplyMarkup: 'buttons changed',
  answerCallbackQuery: 'toast',
};

function renderCall(call: RecordedCall): string[] {
  const lines: string[] = [];
  const photo = call.params['photo'];
  const size = typeof photo === 'object' && photo !== null && 'byteLength' in photo ? ` (${String(photo.byteLength)} bytes)` : '';
  lines.push(`  bot: ${KIND[call.method] ?? call.method}${size}`);
  const text = plainText(call).split('\n');
  for (const line of text.slice(0, MAX_LINES)) if (text.length > 1 || line !== '') lines.push(`    | ${line}`);
  if (text.length > MAX_LINES) lines.push(`    | … (${text.length - MAX_LINES} more lines)`);
  for (const row of buttonRows(call.params['reply_markup'])) {
    lines.push(`    ${row.map((button) => `[${button.text}${button.url === undefined ? '' : ` -> ${button.url}`}]`).join(' ')}`);
  }
  return lines;
}

/** The transcript of `steps`, numbered in order. */
export function renderTranscript(steps: readonly Step[]): string {
  const lines: string[] = [];
  steps.forEach((step, index) => {
    lines.push(`${index + 1}. User ${step.did}`);
    for (const call of step.shown) lines.push(...renderCall(call));
    lines.push('');
  });
  return lines.join('\n');
}
