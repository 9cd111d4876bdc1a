/**
 * The demo's journey of a new user on a running local stack (bench/lib/stack.ts with the worker,
 * the api and the bot, sandbox webhooks to the api): /start, Buy, a plan, pay by card in the
 * sandbox checkout, the key message, /menu, My subscriptions, the subscription, Renew paid by card,
 * Balance & referrals, Language -> English and the main menu in English.
 */
import type { RecordedCall } from '../../fakes/telegram';
import type { BenchStack } from '../../bench/lib/stack';
import { en } from '../../bot/locales';
import { createChatDriver, type Step } from './chat-driver';
import { plainText } from './transcript';

/** The user the demo plays: new, speaking Russian until they switch to English. */
export const DEMO_USER = { id: 5_550_000_001, first_name: 'Demo', language_code: 'ru' } as const;

const textOf = (shown: RecordedCall[]) => shown.map(plainText).join('\n');
const hasPayLink = (shown: RecordedCall[]) =>
  shown.some((call) => call.method === 'sendMessage' && JSON.stringify(call.params['reply_markup'] ?? '').includes('/checkout/'));

/**
 * Plays the journey, appending each step to `steps` (returned); throws with what was missing when
 * the bot did not answer as expected (`steps` then holds the journey so far).
 */
export async function playNewUser(
  stack: Pick<BenchStack, 'telegram' | 'sandbox'>,
  steps: Step[] = [],
  timeoutMs = 60_000,
): Promise<Step[]> {
  const chat = createChatDriver({ telegram: stack.telegram, user: DEMO_USER, timeoutMs, steps });

  /** Pays the newest sandbox checkout link in the chat, as a person clicking Pay on the page. */
  const payNewestLink = async () => {
    const found = chat.findButton((button) => button.url?.includes('/checkout/') === true);
    if (found?.button.url === undefined) throw new Error('no checkout link in the chat');
    const invoiceId = decodeURIComponent(found.button.url.split('/checkout/')[1] ?? '');
    const response = await fetch(`${stack.sandbox.url}/checkout/${encodeURIComponent(invoiceId)}/pay`, {
      method: 'POST',
      redirect: 'manual',
    });
    await response.arrayBuffer();
    if (response.status !== 303) throw new Error(`the sandbox checkout answered ${response.status} to Pay`);
  };

  await chat.sends('/start', (shown) => shown.some((call) => call.method === 'sendMessage'));
  await chat.presses(/^plans$/);
  await chat.presses(/^plan:\d+$/);
  await chat.presses(/^pay:\d+:card$/, hasPayLink);
  await chat.outside(
    'clicks Pay on the sandbox checkout page (the sandbox posts the signed webhook to the api)',
    payNewestLink,
    (shown) => {
      const text = textOf(shown);
      return shown.some((call) => call.method === 'sendPhoto') && text.includes('vless://') && text.includes('/sub/');
    },
  );
  await chat.sends('/menu');
  await chat.presses(/^subs$/);
  await chat.presses(/^sub:\d+$/);
  await chat.presses(/^renew:\d+$/);
  await chat.presses(/^rpay:\d+:card$/, hasPayLink);
  await chat.outside('clicks Pay on the renewal checkout page', payNewestLink);
  await chat.sends('/menu');
  await chat.presses(/^balance$/);
  await chat.presses(/^topup$/);
  await chat.presses(/^tamt:300$/);
  await chat.presses(/^tpay:300:card$/, hasPayLink);
  await chat.outside('clicks Pay on the top-up checkout page', payNewestLink, (shown) =>
    /Баланс пополнен на 300|balance was topped up by 300/.test(textOf(shown)),
  );
  await chat.sends('/menu');
  await chat.presses(/^balance$/);
  await chat.presses(/^menu$/);
  await chat.presses(/^lang$/);
  await chat.presses(/^setlang:en$/, (shown) => shown.some((call) => plainText(call) === en.menu.mainMenu));
  return chat.steps;
}
