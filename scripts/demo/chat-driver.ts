/**
 * Plays one Telegram user against the bot through the fake Telegram: sends text, presses inline
 * buttons found on the bot's messages, and after each action collects what the bot showed (new
 * messages, photos, edits, toasts) until the chat has been quiet for a moment.
 */
import type { FakeTelegram, RecordedCall } from '../../fakes/telegram';

/** An inline button as the bot sent it. */
export interface Button {
  text: string;
  callback_data?: string;
  url?: string;
}

/** What the bot showed after one user action. */
export interface Step {
  /** What the user did, e.g. `sends "/start"` or `presses [Buy]`. */
  did: string;
  /** The Bot API calls the user can see, in order. */
  shown: RecordedCall[];
}

/** Bot API calls whose effect the user sees. */
const VISIBLE = new Set(['sendMessage', 'sendPhoto', 'sendDocument', 'editMessageText', 'editMessageCaption', 'editMessageReplyMarkup']);

/** True for a call the user sees: a message, photo or edit, or a callback answer with a toast. */
export function isVisible(call: RecordedCall): boolean {
  if (!call.ok) return false;
  if (call.method === 'answerCallbackQuery') return typeof call.params['text'] === 'string' && call.params['text'] !== '';
  return VISIBLE.has(call.method);
}

/** The inline buttons of a call (or a message's reply_markup), row by row. */
export function buttonRows(markup: unknown): Button[][] {
  const keyboard = (markup as { inline_keyboard?: unknown } | undefined)?.inline_keyboard;
  return Array.isArray(keyboard) ? (keyboard as Button[][]) : [];
}

/** Options of {@link createChatDriver}. */
export interface ChatDriverOptions {
  telegram: FakeTelegram;
  user: { id: number; first_name: string; language_code: string };
  /** How long the chat must stay quiet after the expected answer; default 400 ms. */
  quietMs?: number;
  /** Longest wait for the expected answer; default 60 s. */
  timeoutMs?: number;
  /** Where the steps go (so a caller keeps them when the journey fails); default a new array. */
  steps?: Step[];
}

/** A user in a chat with the bot. */
export interface ChatDriver {
  steps: Step[];
  /** The user sends `text`; waits until `until` holds for the new visible calls. */
  sends(text: string, until?: (shown: RecordedCall[]) => boolean): Promise<Step>;
  /** The user presses the button whose callback data matches `data`, on the newest bot message carrying it. */
  presses(data: RegExp, until?: (shown: RecordedCall[]) => boolean): Promise<Step>;
  /** Something outside the chat happens (`did`); waits for what the bot shows after it. */
  outside(did: string, action: () => Promise<void>, until?: (shown: RecordedCall[]) => boolean): Promise<Step>;
  /** The newest button whose callback data or url matches, with the id of its message. */
  findButton(match: (button: Button) => boolean): { button: Button; messageId: number } | undefined;
}

const anything = (shown: RecordedCall[]) => shown.length > 0;

/** Creates a {@link ChatDriver} for `options.user`. */
export function createChatDriver(options: ChatDriverOptions): ChatDriver {
  const { telegram, user } = options;
  const quietMs = options.quietMs ?? 400;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const steps = options.steps ?? [];

  async function collect(did: string, act: () => Promise<void> | void, until: (shown: RecordedCall[]) => boolean): Promise<Step> {
    const from = telegram.sent(user.id).length;
    await act();
    const started = Date.now();
    let seen = from;
    let changedAt = Date.now();
    for (;;) {
      const calls = telegram.sent(user.id);
      if (calls.length !== seen) {
        seen = calls.length;
        changedAt = Date.now();
      }
      const shown = calls.slice(from).filter(isVisible);
      if (until(shown) && Date.now() - changedAt >= quietMs) {
        const step = { did, shown };
        steps.push(step);
        return step;
      }
      if (Date.now() - started > timeoutMs) {
        const what = calls
          .slice(from)
          .map((call) => `${call.method}${call.ok ? '' : ` (error ${call.errorCode}: ${call.description})`}`)
          .join(', ');
        throw new Error(
          `after the user ${did}, the bot did not show what was expected within ${timeoutMs / 1000} s (calls: ${what || 'none'})`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  function findButton(match: (button: Button) => boolean): { button: Button; messageId: number } | undefined {
    const entries = telegram.state.chats.list(user.id);
    for (let index = entries.length - 1; index >= 0; index -= 1) {
      const entry = entries[index];
      if (entry === undefined || entry.from !== 'bot' || entry.deleted) continue;
      const button = buttonRows(entry.message.reply_markup).flat().find(match);
      if (button !== undefined) return { button, messageId: entry.message.message_id };
    }
    return undefined;
  }

  return {
    steps,
    findButton,
    sends: (text, until = anything) => collect(`sends "${text}"`, () => void telegram.userSends(user, text), until),
    presses(data, until = anything) {
      const found = findButton((button) => button.callback_data !== undefined && data.test(button.callback_data));
      if (found === undefined) throw new Error(`no button with callback data ${data} on the bot's messages`);
      return collect(
        `presses [${found.button.text}]`,
        () => void telegram.userPresses(user, found.button.callback_data as string, found.messageId),
        until,
      );
    },
    outside: (did, action, until = anything) => collect(did, action, until),
  };
}
