import type { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';

/** The shape of a key made by `defineSearchAttributeKey` (the SDK does not export its type). */
export interface SearchAttributeKeyLike {
  name: string;
  type: SearchAttributeType;
}

/** temporal.api.enums.v1.IndexedValueType numbers, fixed by the Temporal API protos. */
const INDEXED_VALUE_TYPE: Record<SearchAttributeType, number> = {
  TEXT: 1,
  KEYWORD: 2,
  INT: 3,
  DOUBLE: 4,
  BOOL: 5,
  DATETIME: 6,
  KEYWORD_LIST: 7,
};

/**
 * Registers custom search attributes on a namespace, adding only the missing ones (the call is
 * safe to repeat on every start). Works on the dev server and on a self-hosted cluster.
 *
 * @returns the names this call added
 * @throws when an attribute exists with a different type (an operator must resolve that)
 */
export async function registerSearchAttributes(
  connection: Connection,
  namespace: string,
  keys: readonly SearchAttributeKeyLike[],
): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const custom = existing.customAttributes ?? {};
  const missing: Record<string, number> = {};
  for (const key of keys) {
    const wanted = INDEXED_VALUE_TYPE[key.type];
    const present = custom[key.name];
    if (present === undefined) missing[key.name] = wanted;
    else if (present !== wanted) {
      throw new Error(`search attribute ${key.name} exists with another type (${present}, want ${wanted})`);
    }
  }
  if (Object.keys(missing).length > 0) {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  }
  return Object.keys(missing);
}

/** The API's IndexedValueType number for a search attribute type. */
export function indexedValueType(type: SearchAttributeType): number {
  return INDEXED_VALUE_TYPE[type];
}

/** The dev server's `--search-attribute` value type for a search attribute key. */
export function cliSearchAttributeType(type: SearchAttributeType): string {
  const names: Record<string, string> = {
    TEXT: 'Text',
    KEYWORD: 'Keyword',
    INT: 'Int',
    DOUBLE: 'Double',
    BOOL: 'Bool',
    DATETIME: 'Datetime',
    KEYWORD_LIST: 'KeywordList',
  };
  const name = names[type];
  if (name === undefined) throw new Error(`no CLI name for search attribute type ${type}`);
  return name;
}
