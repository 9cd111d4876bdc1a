import { Composer, InlineKeyboard } from 'grammy';
import type { BotContext } from '../bot-context';
import type { BotServices } from '../bot-services';
import { callbackTrigger, encodeCallback, parseCallback } from '../callback-data';
import type { LocaleTexts } from '../locales';
import { mainMenuKeyboard } from '../main-menu';
import { showScreen } from '../show-screen';

/** What the language screen uses. */
export interface LanguageDeps {
  services: Pick<BotServices, 'findUser' | 'setLanguage'>;
  /** Texts of every locale: the answer to a choice is already in the chosen one. */
  texts: LocaleTexts;
}

/** Language names, each in its own language. */
const LANGUAGE_NAMES = { ru: 'Русский', en: 'English' } as const;

/**
 * The language screen (`lang`) and the choice (`setlang:ru|en`): stored in users.language_code, so
 * the bot's locale middleware and the worker's messages follow it; the menu comes back in the
 * chosen language at once.
 */
export function languageFeature(deps: LanguageDeps): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  feature.callbackQuery(callbackTrigger('lang'), async (ctx) => {
    if (ctx.callbackQuery.data !== 'lang') {
      await ctx.answerCallbackQuery({ text: ctx.texts.staleButton });
      return;
    }
    await ctx.answerCallbackQuery();
    const keyboard = new InlineKeyboard();
    for (const language of ['ru', 'en'] as const) {
      keyboard.text(`${ctx.locale === language ? '✓ ' : ''}${LANGUAGE_NAMES[language]}`, encodeCallback({ type: 'setlang', language }));
    }
    keyboard.row().text(ctx.texts.menu.buttons.menu, encodeCallback({ type: 'menu' }));
    await showScreen(ctx, 'edit', ctx.texts.menu.languageTitle, keyboard);
  });

  feature.callbackQuery(callbackTrigger('setlang'), async (ctx) => {
    const action = parseCallback(ctx.callbackQuery.data);
    if (action?.type !== 'setlang') {
      await ctx.answerCallbackQuery({ text: ctx.texts.staleButton });
      return;
    }
    const user = await deps.services.findUser(ctx.from.id);
    if (user === null) {
      await ctx.answerCallbackQuery({ text: ctx.texts.needStart, show_alert: true });
      return;
    }
    await deps.services.setLanguage({ userId: user.userId, language: action.language });
    ctx.locale = action.language;
    ctx.texts = deps.texts[action.language];
    await ctx.answerCallbackQuery({ text: ctx.texts.menu.languageSet });
    await showScreen(ctx, 'edit', ctx.texts.menu.mainMenu, mainMenuKeyboard(ctx));
  });
  return feature;
}
