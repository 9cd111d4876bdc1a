/**
 * `npm run demo`'s journey on the whole local stack (worker, api and bot as child processes, the
 * sandbox's webhooks to the api): the new user gets a vless:// key and a /sub link with a QR photo
 * after paying in the sandbox, and ends on the English main menu after choosing English.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startBenchStack, type BenchStack } from '../bench/lib/stack';
import { en, ru } from '../bot/locales';
import { playNewUser } from './demo/journey';
import { plainText, renderTranscript } from './demo/transcript';

describe('npm run demo', () => {
  let stack: BenchStack;
  before(async () => {
    stack = await startBenchStack({ worker: true, api: true, bot: true, sandboxWebhooks: 'api', log: () => undefined });
  });
  after(async () => stack?.stop());

  it('plays a new user from /start through a sandbox card payment to the English main menu', async () => {
    const steps = await playNewUser(stack);
    const transcript = renderTranscript(steps);

    const paid = steps.find((step) => step.did.startsWith('clicks Pay on the sandbox checkout'));
    assert.ok(paid !== undefined, transcript);
    const photo = paid.shown.find((call) => call.method === 'sendPhoto');
    assert.ok(photo !== undefined, 'the key message is a QR photo');
    assert.match(plainText(photo), /vless:\/\/[0-9a-f-]{36}@/);
    assert.match(plainText(photo), /http:\/\/127\.0\.0\.1:\d+\/sub\/\S+/);

    assert.match(transcript, /vless:\/\//);
    assert.match(transcript, /\/sub\//);
    assert.match(transcript, /\?start=ref_/, 'the referral link');
    assert.ok(transcript.includes(ru.menu.mainMenu), 'the Russian main menu before the switch');

    const last = steps.at(-1);
    assert.equal(last?.did, 'presses [English]');
    const menu = last.shown.find((call) => plainText(call) === en.menu.mainMenu);
    assert.ok(menu !== undefined, transcript);
    assert.ok(transcript.includes(`[${en.menu.buttons.buy}]`), 'English buttons');
    assert.ok(transcript.endsWith(`[${en.menu.buttons.help}] [${en.menu.buttons.language}]\n`), transcript);
  });
});
