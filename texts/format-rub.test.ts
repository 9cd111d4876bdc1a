import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { en } from '../bot/locales/en';
import { pickLocale } from '../bot/locales/index';
import { ru } from '../bot/locales/ru';
import { formatRub } from './format-rub';

describe('formatRub', () => {
  it('formats kopecks with integer math in both locales', () => {
    assert.equal(ru.price(24_900), '249 ₽');
    assert.equal(ru.price(24_950), '249,50 ₽');
    assert.equal(ru.price(104_905), '1 049,05 ₽');
    assert.equal(en.price(104_950), '1,049.50 ₽');
    assert.equal(en.price(0), '0 ₽');
    assert.equal(en.price(-150), '-1.50 ₽');
    assert.throws(() => ru.price(249.5), RangeError);
  });

  it('round-trips every safe amount', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (kopecks) => {
        const text = formatRub(kopecks, { decimalSeparator: ',', groupSeparator: ' ' });
        const [whole = '', fraction = '0'] = text.replace(' ₽', '').replaceAll(' ', '').split(',');
        const sign = whole.startsWith('-') ? -1n : 1n;
        const value = sign * (BigInt(whole.replace('-', '')) * 100n + BigInt(fraction.padEnd(2, '0')));
        assert.equal(value, BigInt(kopecks));
      }),
    );
  });
});

describe('pickLocale', () => {
  it('answers ru/uk/be/kk (any region) and a missing code in Russian, the rest in English', () => {
    for (const code of ['ru', 'uk', 'be', 'kk', 'ru-RU', 'UK', undefined, '']) assert.equal(pickLocale(code), 'ru', String(code));
    for (const code of ['en', 'de', 'pt-br', 'kz', 'by']) assert.equal(pickLocale(code), 'en', code);
  });
});
