import { Composer, InlineKeyboard, InputFile } from 'grammy';
import type { BotContext } from '../bot-context';
import type { BotServices, SubscriptionDetails } from '../bot-services';
import { callbackTrigger, encodeCallback, parseCallback, PLATFORMS, type CallbackAction } from '../callback-data';
import { CONNECT_APPS, importPageUrl } from '../../lib/vpn-apps/connect-apps';
import { showScreen } from '../show-screen';

/** What one subscription's screen uses. */
export interface SubscriptionScreenDeps {
  services: Pick<BotServices, 'findUser' | 'subscriptionDetails'>;
  /** Whether subscriptions can be renewed from the bot (a Renew button on the screen). */
  renewable?: boolean | undefined;
  /** Renders a QR code PNG (lib/xui/render-qr.ts). */
  renderQr: (text: string) => Promise<Buffer>;
  /** The clock, for days left; default `() => new Date()`. */
  now?: (() => Date) | undefined;
}

type SubscriptionAction = Extract<CallbackAction, { subscriptionId: number }>;

/** The screen's buttons: QR and key again, one per platform (when there is a key), Renew, then Back. */
function screenKeyboard(ctx: BotContext, sub: SubscriptionDetails, renewable: boolean): InlineKeyboard {
  const { buttons, platforms } = ctx.texts.menu;
  const keyboard = new InlineKeyboard();
  if (sub.vpnKey !== undefined || sub.subscriptionUrl !== undefined) {
    keyboard
      .text(buttons.qr, encodeCallback({ type: 'qr', subscriptionId: sub.id }))
      .text(buttons.sendKey, encodeCallback({ type: 'key', subscriptionId: sub.id }))
      .row();
  }
  if (sub.subscriptionUrl !== undefined) {
    PLATFORMS.forEach((platform, index) => {
      keyboard.text(platforms[platform], encodeCallback({ type: 'how', subscriptionId: sub.id, platform }));
      if (index === 2) keyboard.row();
    });
    keyboard.row();
  }
  if (renewable && sub.status !== 'pending') keyboard.text(buttons.renew, encodeCallback({ type: 'renew', subscriptionId: sub.id })).row();
  return keyboard.text(buttons.backToSubscriptions, encodeCallback({ type: 'subs' })).text(buttons.menu, encodeCallback({ type: 'menu' }));
}

/**
 * One subscription (`sub:<id>`): status, days left, end date, traffic, devices, server, the key and
 * the subscription link as copyable code, with `qr:<id>` (the QR as a photo), `key:<id>` (the key
 * message again) and `how:<id>:<platform>` (apps and their import links). Only the user's own
 * subscriptions are shown: a foreign or forged id is answered as out of date. The Renew button
 * (renewal.ts) is added when renewal is offered.
 */
export function subscriptionScreenFeature(deps: SubscriptionScreenDeps): Composer<BotContext> {
  const feature = new Composer<BotContext>();
  const now = deps.now ?? (() => new Date());

  /** The pressed button's action and the user's own subscription it names; answers the query otherwise. */
  const pressed = async <T extends SubscriptionAction['type']>(ctx: BotContext, type: T) => {
    const action = parseCallback(ctx.callbackQuery?.data);
    if (action?.type !== type || ctx.from === undefined) {
      await ctx.answerCallbackQuery({ text: ctx.texts.staleButton });
      return undefined;
    }
    const user = await deps.services.findUser(ctx.from.id);
    if (user === null) {
      await ctx.answerCallbackQuery({ text: ctx.texts.needStart, show_alert: true });
      return undefined;
    }
    const typed = action as Extract<SubscriptionAction, { type: T }>;
    const sub = await deps.services.subscriptionDetails({ userId: user.userId, subscriptionId: typed.subscriptionId, locale: ctx.locale });
    if (sub === null) {
      await ctx.answerCallbackQuery({ text: ctx.texts.staleButton });
      return undefined;
    }
    return { action: typed, sub };
  };

  feature.callbackQuery(callbackTrigger('sub'), async (ctx) => {
    const found = await pressed(ctx, 'sub');
    if (found === undefined) return;
    await ctx.answerCallbackQuery();
    await showScreen(ctx, 'edit', ctx.texts.menu.subscription(found.sub, now()), screenKeyboard(ctx, found.sub, deps.renewable === true), {
      html: true,
    });
  });

  feature.callbackQuery(callbackTrigger('key'), async (ctx) => {
    const found = await pressed(ctx, 'key');
    if (found === undefined) return;
    const { sub } = found;
    if (sub.vpnKey === undefined && sub.subscriptionUrl === undefined) {
      await ctx.answerCallbackQuery({ text: ctx.texts.menu.keyNotReady, show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery();
    await ctx.reply(ctx.texts.menu.keyMessage(sub), { parse_mode: 'HTML', link_preview_options: { is_disabled: true } });
  });

  feature.callbackQuery(callbackTrigger('qr'), async (ctx) => {
    const found = await pressed(ctx, 'qr');
    if (found === undefined) return;
    const content = found.sub.subscriptionUrl ?? found.sub.vpnKey;
    if (content === undefined) {
      await ctx.answerCallbackQuery({ text: ctx.texts.menu.keyNotReady, show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery();
    await ctx.replyWithPhoto(new InputFile(await deps.renderQr(content), 'qr.png'), { caption: ctx.texts.menu.qrCaption(found.sub) });
  });

  feature.callbackQuery(callbackTrigger('how'), async (ctx) => {
    const found = await pressed(ctx, 'how');
    if (found === undefined) return;
    const { sub, action } = found;
    if (sub.subscriptionUrl === undefined) {
      await ctx.answerCallbackQuery({ text: ctx.texts.menu.keyNotReady, show_alert: true });
      return;
    }
    await ctx.answerCallbackQuery();
    const keyboard = new InlineKeyboard();
    // One-tap import: the api's https page opens the app's own scheme, which Telegram buttons cannot.
    for (const app of CONNECT_APPS[action.platform]) {
      const page = app.app === undefined ? undefined : importPageUrl(sub.subscriptionUrl, app.app);
      if (page !== undefined) keyboard.url(ctx.texts.menu.buttons.openIn(app.name), page).row();
    }
    keyboard
      .text(ctx.texts.menu.buttons.backToSubscription, encodeCallback({ type: 'sub', subscriptionId: sub.id }))
      .text(ctx.texts.menu.buttons.menu, encodeCallback({ type: 'menu' }));
    const text = ctx.texts.menu.instructions(action.platform, CONNECT_APPS[action.platform], sub.subscriptionUrl);
    await showScreen(ctx, 'edit', text, keyboard, { html: true });
  });

  return feature;
}
