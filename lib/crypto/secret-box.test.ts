import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { AppError, ErrorCode } from '../errors';
import { createSecretBox, parseSecretKey } from './secret-box';

const hexKey = randomBytes(32).toString('hex');
const box = createSecretBox(hexKey);

function assertCode(fn: () => unknown, code: ErrorCode): void {
  assert.throws(fn, (error: unknown) => error instanceof AppError && error.code === code);
}

describe('createSecretBox', () => {
  it('round-trips any UTF-8 text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.option(fc.string(), { nil: undefined }), (plaintext, context) => {
        assert.equal(box.decrypt(box.encrypt(plaintext, context), context), plaintext);
      }),
    );
  });

  it('writes the versioned v1:<iv>:<tag>:<ciphertext> format the database CHECK accepts, never the plaintext', () => {
    const sealed = box.encrypt('panel-password', 'vpn_servers:1:xui_password');
    assert.match(sealed, /^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]*$/);
    assert.equal(sealed.includes('panel-password'), false);
    const [, iv = '', tag = ''] = sealed.split(':');
    assert.equal(Buffer.from(iv, 'base64').length, 12);
    assert.equal(Buffer.from(tag, 'base64').length, 16);
  });

  it('uses a fresh IV each time, so equal secrets give different boxes', () => {
    assert.notEqual(box.encrypt('same'), box.encrypt('same'));
  });

  it('accepts the key as hex, base64 or bytes interchangeably', () => {
    const bytes = Buffer.from(hexKey, 'hex');
    const fromBase64 = createSecretBox(bytes.toString('base64'));
    const fromBytes = createSecretBox(bytes);
    assert.equal(fromBase64.decrypt(box.encrypt('x')), 'x');
    assert.equal(box.decrypt(fromBytes.encrypt('y')), 'y');
  });

  it('rejects keys that are not 32 bytes, without echoing them', () => {
    for (const bad of ['', 'short', randomBytes(16).toString('hex'), randomBytes(31).toString('base64'), 'g'.repeat(64)]) {
      assert.throws(
        () => parseSecretKey(bad),
        (error: unknown) =>
          error instanceof AppError && error.code === ErrorCode.CONFIG_INVALID && (bad === '' || !error.message.includes(bad)),
      );
    }
    assertCode(() => createSecretBox(new Uint8Array(16)), ErrorCode.CONFIG_INVALID);
  });

  it('refuses a box sealed with another key', () => {
    const other = createSecretBox(randomBytes(32));
    assertCode(() => other.decrypt(box.encrypt('secret')), ErrorCode.SECRET_DECRYPT_FAILED);
  });

  it('refuses a box bound to another context (copied to another row or column)', () => {
    const sealed = box.encrypt('secret', 'vpn_servers:1:xui_password');
    assertCode(() => box.decrypt(sealed, 'vpn_servers:2:xui_password'), ErrorCode.SECRET_DECRYPT_FAILED);
    assertCode(() => box.decrypt(sealed), ErrorCode.SECRET_DECRYPT_FAILED);
  });

  it('detects tampering with any part and rejects malformed boxes', () => {
    const sealed = box.encrypt('a longer secret value');
    const parts = sealed.split(':');
    for (let index = 1; index < 4; index += 1) {
      const bytes = Buffer.from(parts[index] ?? '', 'base64');
      bytes[0] = (bytes[0] ?? 0) ^ 1;
      const tampered = [...parts];
      tampered[index] = bytes.toString('base64');
      assertCode(() => box.decrypt(tampered.join(':')), ErrorCode.SECRET_DECRYPT_FAILED);
    }
    for (const bad of ['', 'v1', 'v2:a:b:c', 'v1:!!:b:c', `v1:${parts[1]}:${parts[2]}`]) {
      assertCode(() => box.decrypt(bad), ErrorCode.SECRET_DECRYPT_FAILED);
    }
  });

  it('never puts the plaintext into an error message', () => {
    const sealed = box.encrypt('hunter2-very-secret', 'ctx');
    try {
      box.decrypt(sealed, 'other');
      assert.fail('expected a failure');
    } catch (error) {
      assert.ok(error instanceof Error);
      assert.equal(`${error.message} ${String(error.cause ?? '')}`.includes('hunter2'), false);
    }
  });
});
