import { pino, type Logger, type LevelWithSilent } from 'pino';

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** pino level; default `info`. */
  level?: LevelWithSilent;
  /** Pretty, human-readable output (dev); default JSON lines. */
  pretty?: boolean;
}

/**
 * Paths pino blanks out wherever they appear, so a secret passed by mistake never reaches a log.
 * Add to this list rather than trusting each call site.
 */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'apiToken',
  '*.apiToken',
  'secretKey',
  '*.secretKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers.cookie',
  'config.TELEGRAM_BOT_TOKEN',
  'config.YOOKASSA_SECRET_KEY',
  'config.CRYPTOPAY_TOKEN',
  'config.SECRETS_KEY',
  'config.PANEL_CREDENTIALS_KEY',
  'config.CLIENT_ID_SALT',
  'config.DATABASE_URL',
];

/**
 * Creates the process's one root logger; components take `logger.child({ component })`.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino({
    level: options.level ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    ...(options.pretty
      ? {
          transport: {
            target: 'pino-pretty',
            options: { colorize: true, translateTime: 'SYS:HH:MM:ss', singleLine: true, ignore: 'pid,hostname' },
          },
        }
      : {}),
  });
}

export type { Logger };
