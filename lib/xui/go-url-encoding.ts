/**
 * The exact URL encodings Go's net/url uses, so links built here are byte-identical to the
 * panel's (it is written in Go).
 */

/**
 * Go `url.QueryEscape`: every byte except `A-Za-z0-9-_.~` is percent-encoded (upper-case hex),
 * and a space becomes `+`.
 */
export function goQueryEscape(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** Go `url.Values.Encode` for single values: keys sorted byte-wise, `k=v` joined with `&`. */
export function goEncodeValues(params: Record<string, string>): string {
  return Object.keys(params)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((key) => `${goQueryEscape(key)}=${goQueryEscape(params[key] ?? '')}`)
    .join('&');
}

/** The panel's fragment encoding: `url.QueryEscape` with `+` turned back into `%20`. */
export function goFragmentEscape(value: string): string {
  return goQueryEscape(value).replace(/\+/g, '%20');
}

/**
 * Go `json.Marshal` of a map: keys sorted, and `<`, `>`, `&`, U+2028, U+2029 escaped as
 * `\u003c` etc. (nested objects sorted as well).
 */
export function goJsonMarshal(value: unknown): string {
  return JSON.stringify(sortKeys(value)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(record)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        .map((key) => [key, sortKeys(record[key])]),
    );
  }
  return value;
}
