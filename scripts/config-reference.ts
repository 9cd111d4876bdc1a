/**
 * The configuration reference: every environment variable each process reads, collected from
 * the processes' own zod schemas. `npm run config:docs` prints it as the README's table; a test
 * checks that README.md and .env.example name every variable, so docs cannot drift from code.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { apiConfigSchema } from '../api/config';
import { botConfigSchema } from '../bot/config';
import { paymentFields } from '../lib/payments/payments-config';
import { workerConfigSchema } from '../workers/config';
import { createDevConfigSchema } from './stack/dev-config';

/** One documented variable. */
export interface ConfigEntry {
  name: string;
  readers: string[];
  required: boolean;
  defaultValue: string | undefined;
  description: string;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The schemas per reader, in the order the README lists them. */
export function configSchemas(): Record<string, Record<string, z.ZodType>> {
  return {
    worker: workerConfigSchema.shape,
    api: apiConfigSchema.shape,
    bot: botConfigSchema.shape,
    payments: paymentFields,
    'npm run dev': createDevConfigSchema(root).shape,
  };
}

/** Every variable with who reads it, whether it is required, its default and description. */
export function configReference(): ConfigEntry[] {
  const entries = new Map<string, ConfigEntry>();
  for (const [reader, shape] of Object.entries(configSchemas())) {
    for (const [name, field] of Object.entries(shape)) {
      const existing = entries.get(name);
      if (existing !== undefined) {
        existing.readers.push(reader);
        continue;
      }
      const unset = field.safeParse(undefined);
      const value = unset.success ? unset.data : undefined;
      const shown =
        value === undefined ? undefined : reader === 'npm run dev' && name === 'DEV_DATA_DIR' ? './.data' : JSON.stringify(value);
      entries.set(name, {
        name,
        readers: [reader],
        required: !unset.success,
        defaultValue: shown,
        description: field.description ?? '',
      });
    }
  }
  return [...entries.values()];
}

/** The reference as a Markdown table. */
export function configTable(): string {
  const rows = configReference().map((entry) => {
    const fallback = entry.required ? '**required**' : entry.defaultValue === undefined ? '—' : `\`${entry.defaultValue}\``;
    return `| \`${entry.name}\` | ${entry.readers.join(', ')} | ${fallback} | ${entry.description.replaceAll('|', '\\|')} |`;
  });
  return ['| variable | read by | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  console.log(configTable());
}
