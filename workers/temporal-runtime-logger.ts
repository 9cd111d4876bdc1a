import type { LogLevel, LogMetadata, Logger as TemporalLogger } from '@temporalio/worker';
import type { Logger } from '../lib/logger';

/**
 * Adapts the process's pino logger to Temporal's Logger interface, so SDK and Core logs land in
 * the same stream as ours (house style: one logger per process).
 */
export function createTemporalRuntimeLogger(logger: Logger): TemporalLogger {
  const target = logger.child({ component: 'temporal' });
  const write = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const method =
      level === 'TRACE' ? 'trace' : level === 'DEBUG' ? 'debug' : level === 'INFO' ? 'info' : level === 'WARN' ? 'warn' : 'error';
    target[method](meta ?? {}, message);
  };
  return {
    log: write,
    trace: (message, meta) => write('TRACE', message, meta),
    debug: (message, meta) => write('DEBUG', message, meta),
    info: (message, meta) => write('INFO', message, meta),
    warn: (message, meta) => write('WARN', message, meta),
    error: (message, meta) => write('ERROR', message, meta),
  };
}
