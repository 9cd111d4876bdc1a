import { z } from 'zod';
import { commonFields } from '../lib/config/common-fields';
import { baseUrl, port } from '../lib/config/fields';
import { parseConfig } from '../lib/config/parse-config';
import { createIpAllowlist } from '../lib/payments/ip-allowlist';
import { paymentFields } from '../lib/payments/payments-config';
import { purchaseFields } from '../usecases/purchase-config';

/**
 * TRUST_PROXY: 'false' (default; the socket address is the client), 'true' (trust every proxy:
 * only when nothing but your proxy can reach the api), or comma-separated proxy addresses/CIDRs.
 */
const trustProxy = z
  .string()
  .default('false')
  .transform((value, ctx): boolean | string[] => {
    if (value === 'false') return false;
    if (value === 'true') return true;
    const entries = value
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
    try {
      createIpAllowlist(entries);
    } catch {
      ctx.addIssue({ code: 'custom', message: "must be 'false', 'true' or comma-separated IP addresses/CIDRs" });
    }
    return entries;
  })
  .describe(
    "Proxies whose X-Forwarded-For the api believes (request.ip feeds the YooKassa source-IP check): 'false' (default, direct connections), 'true' (any), or comma-separated IPs/CIDRs of your own proxies",
  );

/** The api process's configuration schema. */
export const apiConfigSchema = z.object({
  ...commonFields,
  ...paymentFields,
  ...purchaseFields,
  TRUST_PROXY: trustProxy,
  API_PORT: port(3000).describe('HTTP port of the api (webhooks, /sub, health)'),
  API_HOST: z.string().min(1).default('0.0.0.0').describe('Interface the api binds to'),
  PUBLIC_BASE_URL: baseUrl().optional().describe('Public base URL of the api; turns on the one-tap import pages /import/<app>/<token>'),
});

/** Parsed api configuration. */
export type ApiConfig = z.infer<typeof apiConfigSchema>;

/** Parses the api's environment once, at start-up. @throws ConfigError */
export function loadApiConfig(env: Record<string, string | undefined> = process.env): Readonly<ApiConfig> {
  return parseConfig(apiConfigSchema, env);
}
