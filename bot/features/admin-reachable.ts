/**
 * Users who blocked the bot are marked (users.blocked_at) by a broadcast that met their 403 and
 * skipped by later broadcasts. When such a user writes to the bot again they are reachable: each
 * private message clears the mark (BroadcastService.userReachable, a no-op for everyone else)
 * before the update goes on to the feature that answers it. A failure is logged, never in the way.
 */
import { Composer } from 'grammy';
import type { Logger } from 'pino';
import type { BotContext } from '../bot-context';
import type { BotServices } from '../bot-services';
import type { BroadcastService } from '../../usecases/broadcasts';

/** The middleware; without a broadcast service it does nothing. */
export function reachableAgainFeature(deps: {
  services: Pick<BotServices, 'findUser'>;
  broadcasts?: Pick<BroadcastService, 'userReachable'> | undefined;
  log: Logger;
}): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const broadcasts = deps.broadcasts;
  if (broadcasts === undefined) return feature;
  feature.chatType('private').on('message', async (ctx, next) => {
    try {
      const user = await deps.services.findUser(ctx.from.id);
      if (user !== null) await broadcasts.userReachable(user.userId);
    } catch (error) {
      deps.log.warn({ error: error instanceof Error ? error.message : String(error) }, 'could not mark the user reachable');
    }
    await next();
  });
  return feature;
}
