import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_STORED_JSON_DEPTH, escapeUnstorable, isStorableText, storableJson } from './storable-text';

describe('storable text', () => {
  it('escapes NUL and lone surrogates, keeps surrogate pairs and everything else', () => {
    assert.equal(escapeUnstorable('a\u0000b'), 'a\\u0000b');
    assert.equal(escapeUnstorable('x\ud800y\udfffz'), 'x\\ud800y\\udfffz');
    assert.equal(escapeUnstorable('\udc00\ud800'), '\\udc00\\ud800', 'a low before a high is two lone halves');
    assert.equal(escapeUnstorable('😀 привет \\u0000'), '😀 привет \\u0000');
    assert.deepEqual(['ok 😀', 'a\u0000', '\ud83d'].map(isStorableText), [true, false, false]);
  });

  it('escapes strings and keys of parsed JSON and says whether anything changed', () => {
    assert.deepEqual(storableJson(JSON.parse('{"a":[1,"x",null,true]}')), { value: { a: [1, 'x', null, true] }, changed: false });
    assert.deepEqual(storableJson(JSON.parse('{"k\\u0000":{"v":["\\ud800"]}}')), {
      value: { 'k\\u0000': { v: ['\\ud800'] } },
      changed: true,
    });
  });

  it('drops a payload nested deeper than Postgres should parse', () => {
    const depth = (n: number): unknown => JSON.parse(`${'['.repeat(n)}0${']'.repeat(n)}`);
    assert.equal(storableJson(depth(MAX_STORED_JSON_DEPTH)).changed, false);
    assert.deepEqual(storableJson(depth(MAX_STORED_JSON_DEPTH + 1)), { value: null, changed: true });
  });
});
