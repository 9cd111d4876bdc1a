/** Command-line options of `npm run bench -- NAME [--seconds N] [--count N] [--rate N]`. */
export interface BenchArgs {
  name: string;
  /** Numeric `--flag value` pairs. */
  numbers: Record<string, number>;
}

/**
 * Parses `NAME --key value ...`; every value must be a positive number.
 * @throws Error naming the bad argument
 */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const [name, ...rest] = argv;
  if (name === undefined || name.startsWith('-'))
    throw new Error('usage: npm run bench -- purchase|webhooks|scale|bot [--seconds N] [--count N] [--rate N]');
  const numbers: Record<string, number> = {};
  for (let index = 0; index < rest.length; index += 2) {
    const key = rest[index] ?? '';
    const value = Number(rest[index + 1]);
    if (!key.startsWith('--') || !Number.isFinite(value) || value <= 0)
      throw new Error(`bad argument ${key} ${rest[index + 1] ?? ''}: expected --name <positive number>`);
    numbers[key.slice(2)] = value;
  }
  return { name, numbers };
}
