/**
 * The README and .env.example must name every variable the processes read, so documentation
 * cannot drift from the zod schemas that are the truth.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { configReference } from '../../scripts/config-reference';

const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
const envExample = await readFile(new URL('../../.env.example', import.meta.url), 'utf8');

describe('configuration documentation', () => {
  const entries = configReference();

  it('covers the variables the issues name', () => {
    const names = new Set(entries.map((entry) => entry.name));
    for (const name of [
      'TELEGRAM_BOT_TOKEN',
      'TELEGRAM_API_ROOT',
      'YOOKASSA_SHOP_ID',
      'YOOKASSA_SECRET_KEY',
      'YOOKASSA_API_URL',
      'CRYPTOPAY_TOKEN',
      'CRYPTOPAY_API_URL',
      'DATABASE_URL',
      'TEMPORAL_ADDRESS',
      'API_PORT',
    ]) {
      assert.ok(names.has(name), `${name} is read by no process schema`);
    }
  });

  for (const entry of entries) {
    it(`documents ${entry.name}`, () => {
      assert.ok(readme.includes(`\`${entry.name}\``), `README.md does not document ${entry.name}`);
      assert.ok(envExample.includes(entry.name), `.env.example does not list ${entry.name}`);
    });
  }
});
