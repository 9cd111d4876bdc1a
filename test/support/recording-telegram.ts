/**
 * A TelegramSender (activities/telegram-sender.ts) that sends nothing and records each text (a
 * photo by its caption), for tests that check what the worker told users without a fake Bot API.
 */
import type { TelegramSender } from '../../activities/telegram-sender';

/** One recorded message. */
export interface SentText {
  chatId: number;
  text: string;
}

/** The sender and the messages it recorded, in order. */
export function createRecordingTelegram(): { telegram: TelegramSender; sentTexts: SentText[] } {
  const sentTexts: SentText[] = [];
  const telegram: TelegramSender = {
    sendText: async (chatId, text) => ({ messageId: sentTexts.push({ chatId, text }) }),
    sendPhoto: async (chatId, _png, caption) => ({ messageId: sentTexts.push({ chatId, text: caption ?? '' }) }),
  };
  return { telegram, sentTexts };
}
