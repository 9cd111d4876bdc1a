import { Composer } from 'grammy';
import { senderUser, type BotContext } from '../bot-context';
import type { BotServices } from '../bot-services';
import { callbackTrigger } from '../callback-data';
import { mainMenuKeyboard } from '../main-menu';
import { showScreen } from '../show-screen';

/** What the menu uses: registering whoever writes before /start. */
export type MenuServices = Pick<BotServices, 'findUser' | 'registerUser'>;

/** The main menu: the `menu` button (Back from every screen) and /menu. */
export function menuFeature(): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.chatType('private').command('menu', (ctx) => ctx.reply(ctx.texts.menu.mainMenu, { reply_markup: mainMenuKeyboard(ctx) }));
  feature.callbackQuery(callbackTrigger('menu'), async (ctx) => {
    if (ctx.callbackQuery.data !== 'menu') {
      await ctx.answerCallbackQuery({ text: ctx.texts.staleButton });
      return;
    }
    await ctx.answerCallbackQuery();
    await showScreen(ctx, 'edit', ctx.texts.menu.mainMenu, mainMenuKeyboard(ctx));
  });
  return feature;
}

/**
 * The fallback for private messages no feature handled (free text, unknown commands, stickers):
 * registers a user who writes before /start, then answers with the main menu. Used after every
 * feature, next to the stale-button fallback.
 */
export function unknownInputFeature(services: MenuServices): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.chatType('private').on('message', async (ctx) => {
    if ((await senderUser(ctx, services)) === null) {
      await services.registerUser({
        telegramId: ctx.from.id,
        firstName: ctx.from.first_name,
        ...(ctx.from.username === undefined ? {} : { username: ctx.from.username }),
        ...(ctx.from.language_code === undefined ? {} : { languageCode: ctx.from.language_code }),
      });
    }
    await ctx.reply(ctx.texts.menu.unknownInput, { reply_markup: mainMenuKeyboard(ctx) });
  });
  return feature;
}

/** Group chats other than the support chat: commands to this bot get a short "write me in private" reply. */
export function groupChatFeature(options: { supportChatId?: number | undefined }): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature
    .chatType(['group', 'supergroup'])
    .filter((ctx) => ctx.chat.id !== options.supportChatId)
    .on('message::bot_command')
    .filter((ctx) =>
      ctx
        .entities('bot_command')
        .some(({ text }) => !text.includes('@') || text.toLowerCase().endsWith(`@${ctx.me.username.toLowerCase()}`)),
    )
    .use(async (ctx) => {
      const username = ctx.me.username;
      await ctx.reply(ctx.texts.menu.groupChat, {
        reply_parameters: { message_id: ctx.message.message_id, allow_sending_without_reply: true },
        reply_markup: { inline_keyboard: [[{ text: ctx.texts.menu.openPrivateChat, url: `https://t.me/${username}` }]] },
      });
    });
  return feature;
}
