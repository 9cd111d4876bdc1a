import { run, type RunnerHandle } from '@grammyjs/runner';
import type { Bot } from 'grammy';
import type { BotContext } from './bot-context';

/** Update types the bot asks Telegram for. */
export const ALLOWED_UPDATES = ['message', 'callback_query', 'pre_checkout_query'] as const;

/**
 * Updates handled at once, at most. Per-chat order is kept by `sequentialize` in createBot; this
 * bounds the whole process (each update holds at most one database connection at a time, and waits
 * for one when the pool is busy, so it bounds memory rather than the pool).
 */
export const UPDATE_CONCURRENCY = 200;

/** Options of {@link runBot}. */
export interface RunBotOptions {
  /** Called once the bot has its identity (`getMe`) and polls. */
  onStart?: (me: { username: string }) => void;
  /** Long-polling wait in seconds; default 30 (tests shorten it). */
  pollTimeoutSeconds?: number;
}

/** A running bot: {@link RunningBot.stop} stops fetching and resolves once every update in hand is done. */
export interface RunningBot {
  stop(): Promise<void>;
  isRunning(): boolean;
  /** Settles when the runner ends (stopped, or crashed by an error bot.catch rethrew). */
  task: Promise<void>;
}

/**
 * Long polling with @grammyjs/runner: fetching goes on while earlier updates are being handled, up
 * to {@link UPDATE_CONCURRENCY} at once (grammY's own `bot.start` handles one update at a time, so
 * one slow purchase held up every user). A webhook left by another deployment is removed first,
 * as `bot.start` does, keeping pending updates.
 *
 * The runner confirms an offset only with its next `getUpdates`, so after a stop Telegram delivers
 * the last batch again: createBot's update claim (bot_updates) makes the second delivery a no-op.
 */
export async function runBot(bot: Bot<BotContext>, options: RunBotOptions = {}): Promise<RunningBot> {
  await bot.init();
  await bot.api.deleteWebhook();
  const handle: RunnerHandle = run(bot, {
    runner: {
      fetch: { timeout: options.pollTimeoutSeconds ?? 30, allowed_updates: [...ALLOWED_UPDATES] },
      silent: true,
      retryInterval: 'exponential',
    },
    sink: { concurrency: UPDATE_CONCURRENCY },
  });
  options.onStart?.({ username: bot.botInfo.username });
  return {
    async stop() {
      // The runner's stop ends the fetching loop only; updates already handed to the concurrent
      // sink keep running, so wait for them (the caller bounds the whole stop).
      await handle.stop();
      while (handle.size() > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    },
    isRunning: () => handle.isRunning(),
    task: handle.task() ?? Promise.resolve(),
  };
}
