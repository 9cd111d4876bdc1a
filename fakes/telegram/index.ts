/** Public surface of the fake Telegram Bot API. */
export { startFakeTelegram, type FakeTelegram, type FakeTelegramOptions, type RecordedCall } from './start-fake-telegram';
export type { PayOptions, PayOutcome } from './create-stars-payments';
export type { FakeMessage, FakeUserInput } from './create-chat-store';
