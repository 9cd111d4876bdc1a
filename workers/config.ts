import { z } from 'zod';
import { commonFields } from '../lib/config/common-fields';
import { baseUrl, panelReopenAfterSeconds, pgBinDir, telegramApiRoot, telegramBotToken, telegramUserIds } from '../lib/config/fields';
import { parseConfig } from '../lib/config/parse-config';
import { parseSecretKey } from '../lib/crypto/secret-box';
import { paymentFields } from '../lib/payments/payments-config';
import { MAX_COLUMN_KOPECKS } from '../lib/money';

/** The worker process's configuration schema. */
export const workerConfigSchema = z.object({
  ...commonFields,
  ...paymentFields,
  PAYMENT_RETURN_URL: baseUrl()
    .optional()
    .describe(
      'Where payment providers send the payer back after paying (e.g. https://t.me/<bot>); default <PUBLIC_BASE_URL>/payments/return',
    ),
  TEMPORAL_METRICS_PORT: z
    .union([z.literal('disabled'), z.coerce.number().int().min(1).max(65535)])
    .default('disabled')
    .describe(
      "Port on which the Temporal SDK serves its own Prometheus metrics (task slots, poll and schedule-to-start latencies, failures), or 'disabled'",
    ),
  WORKER_SHUTDOWN_GRACE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(30_000)
    .describe('How long running activities get to finish on SIGTERM, in milliseconds'),
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce
    .number()
    .int()
    .min(2)
    .default(250)
    .describe(
      "Most workflows kept in the worker's sticky cache; the rest are replayed from history when they wake. Bounds what the worker holds whatever the number of open subscriptions; with its heap bounded at 512 MiB (--max-old-space-size, as docker-compose and npm run dev run it) the worker's RSS was 757 MiB with 2,000 open subscriptions (bench scale)",
    ),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce
    .number()
    .int()
    .min(2)
    .default(10)
    .describe('Workflow tasks the worker runs at once (CPU-bound: a few per core)'),
  WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce
    .number()
    .int()
    .min(1)
    .default(40)
    .describe(
      'Activities (panel, Telegram, longer database work) the worker runs at once; the short database steps of the key path are local activities with their own slots (WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES), so slow panel calls cannot hold them up',
    ),
  WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: z.coerce
    .number()
    .int()
    .min(1)
    .default(20)
    .describe(
      'Local activities (short database steps run inside the workflow task) the worker runs at once; at most DATABASE_POOL_SIZE is useful',
    ),
  DATABASE_POOL_SIZE: z.coerce
    .number()
    .int()
    .min(2)
    .max(200)
    .default(20)
    .describe("Postgres connections of the worker's pool: local activities plus the database activities running at once"),
  PANEL_CREDENTIALS_KEY: z
    .string()
    .refine(isSecretKey, 'must be 32 bytes given as 64 hex characters or base64')
    .describe(
      'Key that encrypts 3X-UI panel passwords and API tokens stored in vpn_servers: 32 bytes as 64 hex characters or base64; another key cannot read the stored secrets (secret)',
    ),
  CLIENT_ID_SALT: z
    .string()
    .min(16, 'must be at least 16 characters')
    .describe(
      'Secret from which 3X-UI client uuids and emails derive; changing it changes the identity of clients not yet recorded (secret, >= 16 characters)',
    ),
  PUBLIC_BASE_URL: baseUrl().describe(
    'Public base URL of the api, e.g. https://vpn.example.com; subscription URLs are <PUBLIC_BASE_URL>/sub/<token> (npm run dev: http://127.0.0.1:<API_PORT>)',
  ),
  PANEL_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .positive()
    .default(10_000)
    .describe('Bound on each HTTP exchange with a 3X-UI panel, in milliseconds'),
  PANEL_PROBE_INTERVAL_SECONDS: z.coerce
    .number()
    .int()
    .min(10)
    .default(60)
    .describe('How often the panel-health-probe Schedule probes every panel (open or closed), in seconds (>= 10)'),
  PANEL_FAILOVER_AFTER_SECONDS: z
    .union([z.literal('disabled'), z.coerce.number().int().positive()])
    .default(300)
    .describe("How long a server must stay down before its subscriptions move to healthy servers, in seconds, or 'disabled' (probe only)"),
  PANEL_REOPEN_AFTER_SECONDS: panelReopenAfterSeconds,
  PANEL_AUTO_REOPEN: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true')
    .describe(
      "Whether the panel-health-probe Schedule re-opens a server the failover closed once it stayed healthy for PANEL_REOPEN_AFTER_SECONDS ('true'), or only `npm run servers -- reopen` does ('false')",
    ),
  TRAFFIC_SYNC_INTERVAL_SECONDS: z.coerce
    .number()
    .int()
    .min(10)
    .default(300)
    .describe('How often the traffic-sync Schedule copies per-client traffic from the panels, in seconds (>= 10)'),
  RECONCILE_INTERVAL_SECONDS: z.coerce
    .number()
    .int()
    .min(10)
    .default(900)
    .describe('How often the panel-reconcile Schedule repairs drift between the panels and the database, in seconds (>= 10)'),
  RECONCILE_MAX_DESTRUCTIVE_PER_RUN: z.coerce
    .number()
    .int()
    .min(1)
    .default(20)
    .describe(
      'Most destructive repairs (client deletes and disables) the panel reconciler makes on one server per run; the rest wait for later runs and operators are alerted',
    ),
  PAYMENT_RECONCILE_INTERVAL_SECONDS: z.coerce
    .number()
    .int()
    .min(10)
    .default(300)
    .describe('How often the payment-reconcile Schedule asks providers about payments still pending, in seconds (>= 10)'),
  PAYMENT_RECONCILE_AFTER_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(15)
    .describe('A payment still pending after this many minutes is asked about again (a lost webhook), in minutes'),
  INVARIANTS_CHECK_INTERVAL_SECONDS: z
    .union([z.literal('disabled'), z.coerce.number().int().min(60)])
    .default(3600)
    .describe(
      "How often the invariants-check Schedule checks payments, slots, panel clients, key messages and balances and alerts operators about violations, in seconds (>= 60), or 'disabled'",
    ),
  STARS_RECONCILE_INTERVAL_SECONDS: z
    .union([z.literal('disabled'), z.coerce.number().int().min(10)])
    .default(120)
    .describe(
      "How often the stars-reconcile Schedule reads Telegram's getStarTransactions and settles Stars charges without a completed payment (apply or refund), in seconds (>= 10), or 'disabled'",
    ),
  STARS_SETTLE_AFTER_SECONDS: z.coerce
    .number()
    .int()
    .min(10)
    .default(60)
    .describe('A Telegram Stars charge the bot did not settle is settled by the stars-reconcile Schedule once it is this old, in seconds'),
  TELEGRAM_BOT_TOKEN: telegramBotToken.describe('Bot token from @BotFather; the worker sends notifications with it (secret)'),
  TELEGRAM_API_ROOT: telegramApiRoot,
  REFERRAL_BONUS_KOPECKS: z
    .union([z.literal('disabled'), z.coerce.number().int().positive().max(Number(MAX_COLUMN_KOPECKS))])
    .default(5000)
    .describe("Bonus credited once to a referrer's balance when a referred user pays, in kopecks (5000 = 50 RUB), or 'disabled'"),
  REFERRAL_BONUS_PERCENT: z
    .union([
      z.literal('disabled'),
      z
        .string()
        .regex(/^\d{1,3}(\.\d{1,2})?$/, 'a percentage like 10 or 12.5')
        .refine((value) => Number(value) > 0 && Number(value) <= 100, 'must be above 0 and at most 100'),
    ])
    .default('disabled')
    .describe(
      "Referral bonus as a percentage of what the referred user actually paid in rubles (rounded down to a kopeck; overrides REFERRAL_BONUS_KOPECKS; reversed when that payment is refunded), e.g. 10, or 'disabled'",
    ),
  LIFECYCLE_REMINDER_OFFSETS_HOURS: z
    .string()
    .default('72,24')
    .transform((value, ctx) => {
      const hours = value.split(',').map((part) => Number(part.trim()));
      if (hours.length === 0 || hours.some((hour) => !Number.isInteger(hour) || hour <= 0 || hour > 24 * 60)) {
        ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of whole hours, e.g. 72,24' });
      }
      return [...new Set(hours)].sort((a, b) => b - a);
    })
    .describe('Hours before the end of a paid period at which reminders go out, each once (e.g. 72,24)'),
  LIFECYCLE_GRACE_HOURS: z.coerce
    .number()
    .int()
    .min(0)
    .max(24 * 90)
    .default(72)
    .describe('Hours after the end during which a payment re-enables the same key'),
  AUTO_RENEW_LEAD_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(24)
    .describe('Hours before the end at which auto-renewal from balance is tried'),
  PROVISION_DELAY_NOTICE_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .default(30)
    .describe('Seconds of provisioning after which the user is told the key is delayed'),
  ADMIN_TELEGRAM_IDS: telegramUserIds().describe(
    'Telegram user ids allowed to use admin commands (bot); without ALERT_CHAT_ID each also receives the operator alerts (worker), comma-separated',
  ),
  ALERT_CHAT_ID: z.coerce
    .number()
    .int()
    .refine((id) => id !== 0 && Number.isSafeInteger(id), 'must be a Telegram chat id (negative for groups)')
    .optional()
    .describe(
      'Telegram chat that receives operator alerts (a group: negative id; the bot must be a member); default each of ADMIN_TELEGRAM_IDS',
    ),
  ALERT_MAX_PER_KIND_PER_MINUTE: z.coerce
    .number()
    .int()
    .min(1)
    .default(5)
    .describe('Most operator alerts of one kind sent per minute; the rest are recorded as suppressed and counted in the next alert sent'),
  ORPHAN_SWEEP_INTERVAL_SECONDS: z.coerce
    .number()
    .int()
    .min(10)
    .default(180)
    .describe(
      'How often the orphan-sweep Schedule looks for unapplied payments, clientless active subscriptions and late provider successes, in seconds (>= 10)',
    ),
  ORPHAN_SWEEP_AFTER_SECONDS: z.coerce
    .number()
    .int()
    .min(10)
    .default(90)
    .describe('How long a payment or subscription must stay in an orphan state before the sweep repairs it, in seconds (>= 10)'),
  ORPHAN_SWEEP_LIMIT: z.coerce.number().int().min(1).max(1000).default(25).describe('Most orphans each sweep repairs per run'),
  BACKUP_DIR: z
    .string()
    .regex(/^\//, 'must be an absolute path')
    .optional()
    .describe('Folder the database-backup Schedule writes pg_dump files (custom format) to, writable by the worker; unset = no backups'),
  BACKUP_KEEP: z.coerce
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(7)
    .describe('Newest backups kept in BACKUP_DIR; older ones are deleted after each backup'),
  BACKUP_INTERVAL_SECONDS: z.coerce
    .number()
    .int()
    .min(300)
    .default(86_400)
    .describe('How often the database-backup Schedule dumps the database, in seconds (>= 300; default a day)'),
  PG_BIN_DIR: pgBinDir,
});

function isSecretKey(text: string): boolean {
  try {
    parseSecretKey(text);
    return true;
  } catch {
    return false;
  }
}

/** Parsed worker configuration. */
export type WorkerConfig = z.infer<typeof workerConfigSchema>;

/** The chats operator alerts go to: ALERT_CHAT_ID, else every admin. */
export function alertChatIds(config: Pick<WorkerConfig, 'ALERT_CHAT_ID' | 'ADMIN_TELEGRAM_IDS'>): number[] {
  return config.ALERT_CHAT_ID === undefined ? [...config.ADMIN_TELEGRAM_IDS] : [config.ALERT_CHAT_ID];
}

/** The backup settings of the worker's activities, or undefined when BACKUP_DIR is unset. */
export function backupSettings(config: Pick<WorkerConfig, 'BACKUP_DIR' | 'BACKUP_KEEP' | 'DATABASE_URL' | 'PG_BIN_DIR'>) {
  return config.BACKUP_DIR === undefined
    ? undefined
    : { dir: config.BACKUP_DIR, keep: config.BACKUP_KEEP, databaseUrl: config.DATABASE_URL, pgBinDir: config.PG_BIN_DIR };
}

/** Parses the worker's environment once, at start-up. @throws ConfigError */
export function loadWorkerConfig(env: Record<string, string | undefined> = process.env): Readonly<WorkerConfig> {
  return parseConfig(workerConfigSchema, env);
}
