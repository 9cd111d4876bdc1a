import { z } from 'zod';
import { commonFields } from '../lib/config/common-fields';
import { port } from '../lib/config/fields';
import { parseConfig } from '../lib/config/parse-config';

/** The api process's configuration schema. */
export const apiConfigSchema = z.object({
  ...commonFields,
  API_PORT: port(3000).describe('HTTP port of the api (webhooks, /sub, health)'),
  API_HOST: z.string().min(1).default('0.0.0.0').describe('Interface the api binds to'),
});

/** Parsed api configuration. */
export type ApiConfig = z.infer<typeof apiConfigSchema>;

/** Parses the api's environment once, at start-up. @throws ConfigError */
export function loadApiConfig(env: Record<string, string | undefined> = process.env): Readonly<ApiConfig> {
  return parseConfig(apiConfigSchema, env);
}
