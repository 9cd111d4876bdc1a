import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { ConfigError, ErrorCode } from '../errors';
import { baseUrl, port } from './fields';
import { parseConfig } from './parse-config';

const schema = z.object({
  API_PORT: port(3000),
  SECRET_TOKEN: z.string().min(10),
  TELEGRAM_API_ROOT: baseUrl('https://api.telegram.org'),
});

describe('parseConfig', () => {
  it('applies defaults and coerces values', () => {
    const config = parseConfig(schema, { SECRET_TOKEN: 'abcdefghijkl' });
    assert.equal(config.API_PORT, 3000);
    assert.equal(config.TELEGRAM_API_ROOT, 'https://api.telegram.org');
  });

  it('treats an empty string as unset', () => {
    const config = parseConfig(schema, { SECRET_TOKEN: 'abcdefghijkl', API_PORT: '' });
    assert.equal(config.API_PORT, 3000);
  });

  it('names every missing or bad variable without echoing its value', () => {
    assert.throws(
      () => parseConfig(schema, { API_PORT: 'not-a-port', TELEGRAM_API_ROOT: 'ftp://x', SECRET_TOKEN: 'short-val' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.equal(error.code, ErrorCode.CONFIG_INVALID);
        assert.match(error.message, /API_PORT/);
        assert.match(error.message, /TELEGRAM_API_ROOT/);
        assert.match(error.message, /SECRET_TOKEN/);
        assert.doesNotMatch(error.message, /short-val/);
        return true;
      },
    );
    assert.throws(() => parseConfig(schema, {}), /SECRET_TOKEN: is required but not set/);
  });

  it('strips a trailing slash from base URLs and freezes the result', () => {
    const config = parseConfig(schema, { SECRET_TOKEN: 'abcdefghijkl', TELEGRAM_API_ROOT: 'http://127.0.0.1:9000/' });
    assert.equal(config.TELEGRAM_API_ROOT, 'http://127.0.0.1:9000');
    assert.ok(Object.isFrozen(config));
  });
});
