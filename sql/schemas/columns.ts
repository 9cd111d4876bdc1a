import { z } from 'zod';
import { CANONICAL_MONEY_PATTERN } from '../../lib/money';

/**
 * Column schemas shared by the row schemas. They describe what lib/db/create-pool.ts hands over:
 * NUMERIC as a decimal string, INT8 as a safe JS number, TIMESTAMPTZ as a Date, JSONB parsed.
 */

/** A NUMERIC(12,2) money column: canonical decimal text such as "249.00" (never a float). */
export const moneyColumn = z.string().regex(CANONICAL_MONEY_PATTERN, 'money must be decimal text with two decimals');

/** A SERIAL / INTEGER id. */
export const idColumn = z.number().int().positive();

/** A BIGINT identity id (parsed to a safe JS number). */
export const bigIdColumn = z.number().int().positive();

/** A TIMESTAMPTZ column. */
export const timestampColumn = z.date();

/** A JSONB column holding any JSON value. */
export const jsonColumn = z.unknown();
