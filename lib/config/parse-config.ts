import { type z } from 'zod';
import { ConfigError } from '../errors';

/**
 * Parses environment variables with one zod object schema, once, at process start.
 *
 * Each issue is reported with the variable's name and what was wrong, never with the value
 * (a bad value may be a secret). The result is deep-frozen so nothing can change it later.
 *
 * @param schema zod object whose keys are the environment variable names
 * @param env the environment to read, normally `process.env`
 * @throws ConfigError naming every bad or missing variable
 */
export function parseConfig<S extends z.ZodObject>(schema: S, env: Record<string, string | undefined>): Readonly<z.infer<S>> {
  // Treat an empty string as unset, so `FOO=` in a .env file falls back to the default.
  const cleaned: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(root)';
      const missing = issue.code === 'invalid_type' && cleaned[name] === undefined;
      return missing ? `${name}: is required but not set` : `${name}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return deepFreeze(result.data);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
