import { z } from 'zod';

/**
 * Reusable zod fields for configuration schemas. Each process composes the ones it needs in
 * its own `config.ts`; descriptions double as the README's documentation of the variable.
 */

/** A Postgres connection string (`postgres://user:pass@host:port/db`). */
export const databaseUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string')
  .describe('Postgres connection string');

/** `host:port` of the Temporal frontend. */
export const temporalAddress = z
  .string()
  .regex(/^[^\s:/]+:\d+$/, 'must be host:port')
  .default('localhost:7233')
  .describe('Temporal frontend host:port');

/** Temporal namespace. */
export const temporalNamespace = z.string().min(1).default('default').describe('Temporal namespace');

/** Task queue the worker polls and clients start workflows on. */
export const temporalTaskQueue = z.string().min(1).default('subscriptions').describe('Temporal task queue for workflows and activities');

/** pino log level. */
export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Log level');

/** A TCP port number given as a string in the environment. */
export function port(defaultPort: number) {
  return z.coerce.number().int().min(0).max(65535).default(defaultPort);
}

/** An absolute http(s) base URL without a trailing slash. */
export function baseUrl(defaultUrl?: string) {
  const url = z.url({ protocol: /^https?$/ }).transform((value) => value.replace(/\/+$/, ''));
  return defaultUrl === undefined ? url : url.default(defaultUrl);
}

/** A Telegram bot token as @BotFather issues it (secret). */
export const telegramBotToken = z
  .string()
  .regex(/^\d+:[\w-]+$/, 'must look like <bot id>:<secret> as issued by @BotFather')
  .describe('Bot token from @BotFather (secret)');

/** The Bot API base URL (a local fake in dev and tests). */
export const telegramApiRoot = baseUrl('https://api.telegram.org').describe('Bot API base URL; a local fake in dev and tests');

/**
 * A comma-separated list of Telegram user ids (e.g. `ADMIN_TELEGRAM_IDS=111,222`), parsed to
 * numbers; empty by default.
 */
export function telegramUserIds() {
  return z
    .string()
    .default('')
    .transform((value, ctx) => {
      const ids = value
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== '');
      const parsed = ids.map(Number);
      if (parsed.some((id) => !Number.isSafeInteger(id) || id <= 0)) {
        ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of Telegram user ids' });
      }
      return parsed;
    });
}

/** Folder of the PostgreSQL client binaries (pg_dump, pg_restore), for backups and `npm run restore`. */
export const pgBinDir = z
  .string()
  .regex(/^\//, 'must be an absolute path')
  .optional()
  .describe(
    "Folder holding pg_dump and pg_restore of the database server's major version or newer; default .data/pg-client/bin (installed by the test runner), the embedded Postgres package, then the PATH",
  );

/**
 * How long a closed server must stay healthy before it is re-opened (by `npm run servers -- reopen`,
 * or automatically with PANEL_AUTO_REOPEN); read by the worker and the servers CLI.
 */
export const panelReopenAfterSeconds = z.coerce
  .number()
  .int()
  .min(0)
  .default(600)
  .describe(
    'How long a closed server must have been probed healthy before it is re-opened (npm run servers -- reopen, or automatically with PANEL_AUTO_REOPEN), in seconds',
  );
