import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { russianDays, russianPlural } from './russian-plural';

describe('russianPlural', () => {
  it('picks one, few or many by the last digits', () => {
    const forms = ['день', 'дня', 'дней'] as const;
    const cases: Array<[number, string]> = [
      [1, 'день'],
      [2, 'дня'],
      [4, 'дня'],
      [5, 'дней'],
      [11, 'дней'],
      [12, 'дней'],
      [14, 'дней'],
      [21, 'день'],
      [22, 'дня'],
      [111, 'дней'],
      [0, 'дней'],
    ];
    for (const [count, expected] of cases) assert.equal(russianPlural(count, forms), expected, String(count));
    assert.equal(russianDays(3), '3 дня');
  });
});
