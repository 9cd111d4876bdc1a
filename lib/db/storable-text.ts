/**
 * Text that Postgres can store. A JS string may hold two things no `text` or `jsonb` value can: NUL
 * (U+0000; text refuses the byte, jsonb refuses the `\u0000` escape) and a lone UTF-16 surrogate
 * (jsonb refuses the escape; the driver turns it into U+FFFD in text, silently). Webhook bodies
 * are strangers' input that may carry either, so what is stored from them passes through here:
 * each such code unit becomes the six characters of its JSON escape (`\u0000`, `\ud800`), which is
 * readable, and the exact bytes are kept elsewhere (bytea) for anyone who needs them.
 */

/** NUL, a high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const UNSTORABLE = '\\u0000|[\\uD800-\\uDBFF](?![\\uDC00-\\uDFFF])|(?<![\\uD800-\\uDBFF])[\\uDC00-\\uDFFF]';
const unstorable = (): RegExp => new RegExp(UNSTORABLE, 'g');

/** Deepest nesting of a JSON value stored as jsonb; deeper payloads are kept as bytes only. */
export const MAX_STORED_JSON_DEPTH = 200;

/** Whether `text` can be stored as Postgres text/jsonb unchanged. */
export function isStorableText(text: string): boolean {
  return !unstorable().test(text);
}

/** `text` with NUL and lone surrogates replaced by their `\uXXXX` escapes (unchanged when storable). */
export function escapeUnstorable(text: string): string {
  return text.replace(unstorable(), (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A JSON value with every string and key made storable, and whether anything changed. */
export interface StorableJson {
  /** The escaped value; null when it nests deeper than {@link MAX_STORED_JSON_DEPTH}. */
  value: unknown;
  changed: boolean;
}

/** Walks a parsed JSON value and escapes its strings and keys with {@link escapeUnstorable}. */
export function storableJson(value: unknown): StorableJson {
  let changed = false;
  let tooDeep = false;
  const text = (raw: string): string => {
    const escaped = escapeUnstorable(raw);
    if (escaped !== raw) changed = true;
    return escaped;
  };
  const walk = (node: unknown, depth: number): unknown => {
    if (depth > MAX_STORED_JSON_DEPTH) {
      tooDeep = true;
      return null;
    }
    if (typeof node === 'string') return text(node);
    if (Array.isArray(node)) return node.map((item) => walk(item, depth + 1));
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([key, item]) => [text(key), walk(item, depth + 1)]));
    }
    return node;
  };
  const walked = walk(value, 0);
  return tooDeep ? { value: null, changed: true } : { value: walked, changed };
}
