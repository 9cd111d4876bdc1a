import { createPool, SchemaValidationError, type DatabasePool, type DriverTypeParser, type Interceptor } from 'slonik';

/** Options for {@link createDbPool}. */
export interface DbPoolOptions {
  /** Most connections the pool opens; default 10. */
  maximumPoolSize?: number;
  /** Statement timeout in milliseconds; default 30 000. */
  statementTimeoutMs?: number;
  /** Connection timeout in milliseconds; default 5 000. */
  connectionTimeoutMs?: number;
  /**
   * Whether a connection is reset (`DISCARD ALL`, slonik's default) each time it returns to the
   * pool; default true. That is a second round trip per pool query (measured: ~120 µs of client
   * CPU on top of ~140 µs for `SELECT 1`). Turn it off only for code that leaves no session state
   * behind (no session-level SET, advisory locks, temporary tables or LISTEN), as the api's.
   */
  resetOnRelease?: boolean;
}

/**
 * Validates every row of a query built with `sql.type(schema)` against its zod schema, so a
 * row that does not match its declared type fails loudly instead of flowing on as `any`.
 */
function createRowValidationInterceptor(): Interceptor {
  return {
    name: 'validate-rows',
    transformRowAsync: async (context, query, row) => {
      const parser = context.resultParser;
      if (parser === undefined) return row;
      const result = await parser['~standard'].validate(row);
      if (result.issues !== undefined) throw new SchemaValidationError(query, row, result.issues);
      return result.value as typeof row;
    },
  };
}

/**
 * Type parsers chosen for money safety: `numeric` stays a decimal string (never a float),
 * `int8` becomes a JS number only when it is a safe integer (Telegram ids are < 2^52),
 * timestamps become `Date`s.
 */
function createTypeParsers(): DriverTypeParser[] {
  return [
    { name: 'numeric', parse: (value) => value },
    {
      name: 'int8',
      parse: (value) => {
        const parsed = Number(value);
        if (!Number.isSafeInteger(parsed)) throw new RangeError(`int8 value out of safe range: ${value}`);
        return parsed;
      },
    },
    { name: 'timestamptz', parse: (value) => new Date(value) },
    { name: 'timestamp', parse: (value) => new Date(`${value}Z`) },
    { name: 'date', parse: (value) => value },
  ];
}

/**
 * Creates a slonik pool with row validation and money-safe type parsers.
 * The caller owns it and must `end()` it on shutdown.
 *
 * @throws slonik's ConnectionError when the server cannot be reached
 */
export async function createDbPool(databaseUrl: string, options: DbPoolOptions = {}): Promise<DatabasePool> {
  return createPool(databaseUrl, {
    interceptors: [createRowValidationInterceptor()],
    typeParsers: createTypeParsers(),
    maximumPoolSize: options.maximumPoolSize ?? 10,
    statementTimeout: options.statementTimeoutMs ?? 30_000,
    connectionTimeout: options.connectionTimeoutMs ?? 5_000,
    ...(options.resetOnRelease === false ? { resetConnection: async () => undefined } : {}),
  });
}

export type { DatabasePool };
