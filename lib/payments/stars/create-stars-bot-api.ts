import { autoRetry } from '@grammyjs/auto-retry';
import { Api } from 'grammy';
import type { StarsBotApi } from './star-transactions';

/**
 * The worker's Bot API client for Telegram Stars (refundStarPayment, getStarTransactions): a bare
 * grammY `Api` with auto-retry on 429 (bounded waits; network errors surface to the activity's
 * retry policy). The token is never logged.
 */
export function createStarsBotApi(options: { token: string; apiRoot: string; timeoutSeconds?: number }): StarsBotApi {
  const api = new Api(options.token, { apiRoot: options.apiRoot, timeoutSeconds: options.timeoutSeconds ?? 15 });
  api.config.use(autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 30, rethrowHttpErrors: true }));
  return {
    refundStarPayment: (userId, chargeId) => api.refundStarPayment(userId, chargeId),
    getStarTransactions: (other) => api.getStarTransactions(other),
  };
}
