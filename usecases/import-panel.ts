/**
 * `importPanelClients`: takes the clients already on an operator's panel (made by another bot or
 * by hand) into the product. Each client on the inbound a server row sells becomes an active
 * subscription on that row, until the client's own expiry, under its own `subscription-{id}`
 * workflow (reminders, renewal, expiry, removal as for any paid subscription), with its uuid and
 * email recorded so the user's key keeps working unchanged.
 *
 * Users are matched by the client's Telegram id (`tgId`, or an email that is a Telegram id such as
 * `123456789` / `tg_123456789`), created when new; else by an email equal to a known user's
 * Telegram username. A client no user can be found for is reported and left alone, as are
 * disabled, expired, never-expiring (unless `noExpiryDays`) and malformed clients. Re-running is
 * a no-op: a client whose email or uuid a subscription records is skipped (its workflow is started
 * if an earlier run stopped before starting it).
 */
import type { Client } from '@temporalio/client';
import type { DatabasePool } from '../lib/db/create-pool';
import { InvalidInputError, RecordNotFoundError } from '../lib/errors';
import type { VlessClient } from '../lib/xui/panel-schemas';
import { startImportedSubscription } from '../clients/subscription-workflow-client';
import type { Actor } from '../sql/repositories/audit-repository';
import {
  findSubscriptionByClient,
  findUserByUsername,
  insertImportedSubscription,
  wasImported,
} from '../sql/repositories/import-repository';
import { getPlan, listActivePlans } from '../sql/repositories/plans-repository';
import { getServer } from '../sql/repositories/servers-repository';
import { getOrCreateUser, getUserByTelegramId } from '../sql/repositories/users-repository';
import type { PanelResolver } from './panel-for-server';

/** The lifecycle timings an imported workflow carries (the workflow's own settings type). */
type LifecycleSettings = Parameters<typeof startImportedSubscription>[1]['settings'];

/** Dependencies of {@link importPanelClients}. */
export interface ImportPanelDeps {
  db: DatabasePool;
  panels: PanelResolver;
  /** Where the lifecycle workflows start; required unless `dryRun`. */
  temporal?: { client: Client; taskQueue: string } | undefined;
  /** Lifecycle timings the imported workflows carry (the worker's LIFECYCLE_* settings). */
  lifecycle: LifecycleSettings;
  actor: Actor;
}

/** What to import. */
export interface ImportPanelInput {
  /** The server row whose inbound's clients are imported. */
  serverId: number;
  /** The plan renewals use; default the shortest active plan. */
  planId?: number | undefined;
  /** Days given to a client that never expires (expiryTime 0); default: such clients are skipped. */
  noExpiryDays?: number | undefined;
  /** Report only: write nothing, start nothing. */
  dryRun: boolean;
  /** Default: the current time. */
  now?: Date | undefined;
}

/** Why a client is not imported. */
export type SkipReason =
  'already-imported' | 'own-client' | 'disabled' | 'expired' | 'no-expiry' | 'delayed-start' | 'bad-uuid' | 'no-user' | 'server-full';

/** The verdict on one client. Carries the panel email (the operator's own data), never secrets. */
export interface ImportItem {
  email: string;
  action: 'import' | 'skip';
  reason?: SkipReason;
  telegramId?: number;
  userId?: number;
  /** Whether the user would be / was created. */
  newUser?: boolean;
  endsAt?: string;
  subscriptionId?: number;
  /** For imports (and earlier imports found again): whether the workflow started now or already ran. */
  workflow?: 'started' | 'exists' | 'not-started';
}

/** Result of {@link importPanelClients}. */
export interface ImportReport {
  serverId: number;
  inboundId: number;
  planId: number;
  dryRun: boolean;
  items: ImportItem[];
  imported: number;
  skipped: number;
}

const OWN_EMAIL = /^sub-\d+-[0-9a-f]{8}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** `123456789`, `tg123456789`, `tg_123456789`, `id-123456789`, optionally with a suffix such as `_2`. */
const TELEGRAM_ID_EMAIL = /^(?:tg|id|telegram)?[_-]?(\d{5,15})(?:[_\-.@].*)?$/i;
const DAY_MS = 86_400_000;

/** The Telegram id a client names (tgId, else an email that is one), or null. */
export function telegramIdOf(client: Pick<VlessClient, 'tgId' | 'email'>): number | null {
  if (Number.isSafeInteger(client.tgId) && client.tgId > 0) return client.tgId;
  const match = TELEGRAM_ID_EMAIL.exec(client.email)?.[1];
  const id = match === undefined ? NaN : Number(match);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
}

/**
 * Imports (or with `dryRun` reports what it would import) the clients of a server row's inbound.
 *
 * @throws RecordNotFoundError (unknown server or plan), InvalidInputError (no inbound on the row,
 *   no plan, no Temporal target without dryRun), the panel client's errors when the panel cannot be read
 */
export async function importPanelClients(deps: ImportPanelDeps, input: ImportPanelInput): Promise<ImportReport> {
  const { db } = deps;
  const now = input.now ?? new Date();
  const server = await getServer(db, input.serverId);
  if (server === null) throw new RecordNotFoundError(`server ${input.serverId}`);
  if (server.xui_inbound_id === null)
    throw new InvalidInputError(`server ${server.id} sells no inbound (set one with npm run servers -- edit ${server.id} --inbound ID)`);
  const planId = await resolvePlan(db, input.planId);
  if (!input.dryRun && deps.temporal === undefined)
    throw new InvalidInputError('importing needs Temporal (TEMPORAL_ADDRESS) to start the lifecycle workflows');

  const { client: panel } = await deps.panels.getPanel(server.id);
  const inbound = await panel.getInbound(server.xui_inbound_id);
  const items: ImportItem[] = [];
  for (const client of inbound.clients) items.push(await importOne(client));
  const imported = items.filter((item) => item.action === 'import').length;
  return { serverId: server.id, inboundId: inbound.id, planId, dryRun: input.dryRun, items, imported, skipped: items.length - imported };

  async function startWorkflow(subscriptionId: number, userId: number, endsAt: Date): Promise<'started' | 'exists'> {
    if (deps.temporal === undefined) throw new InvalidInputError('no Temporal target');
    return startImportedSubscription(deps.temporal, {
      subscriptionId,
      userId,
      planId,
      serverId: input.serverId,
      endsAt,
      settings: deps.lifecycle,
    });
  }

  async function importOne(client: VlessClient): Promise<ImportItem> {
    const item: ImportItem = { email: client.email, action: 'skip' };
    if (!UUID.test(client.id) || client.email === '') return { ...item, reason: 'bad-uuid' };
    const existing = await findSubscriptionByClient(db, { email: client.email, uuid: client.id });
    if (existing !== null) {
      const result: ImportItem = { ...item, reason: 'already-imported', subscriptionId: existing.id, userId: existing.user_id };
      // An earlier run that stopped between recording and starting: start it now.
      if (!input.dryRun && existing.status === 'active' && existing.end_date !== null && (await wasImported(db, existing.id))) {
        result.workflow = await startWorkflow(existing.id, existing.user_id, existing.end_date);
      }
      return result;
    }
    if (OWN_EMAIL.test(client.email)) return { ...item, reason: 'own-client' };
    if (!client.enable) return { ...item, reason: 'disabled' };
    let endsAtMs = client.expiryTime;
    if (endsAtMs < 0) return { ...item, reason: 'delayed-start' };
    if (endsAtMs === 0) {
      if (input.noExpiryDays === undefined) return { ...item, reason: 'no-expiry' };
      endsAtMs = now.getTime() + input.noExpiryDays * DAY_MS;
    }
    if (endsAtMs <= now.getTime()) return { ...item, reason: 'expired' };
    const endsAt = new Date(endsAtMs);

    const telegramId = telegramIdOf(client);
    let userId: number | undefined;
    let newUser = false;
    if (telegramId !== null) {
      const user = await getUserByTelegramId(db, telegramId);
      userId = user?.id;
      newUser = user === null;
    } else {
      userId = (await findUserByUsername(db, client.email.replace(/^@/, '')))?.id;
    }
    if (userId === undefined && !newUser) return { ...item, reason: 'no-user' };
    const planned: ImportItem = {
      email: client.email,
      action: 'import',
      ...(telegramId === null ? {} : { telegramId }),
      ...(userId === undefined ? {} : { userId }),
      newUser,
      endsAt: endsAt.toISOString(),
    };
    if (input.dryRun) return { ...planned, workflow: 'not-started' };

    if (userId === undefined && telegramId !== null) userId = (await getOrCreateUser(db, { telegramId })).user.id;
    if (userId === undefined) return { ...item, reason: 'no-user' };
    const subscription = await insertImportedSubscription(db, {
      userId,
      planId,
      serverId: input.serverId,
      inboundId: inbound.id,
      email: client.email,
      uuid: client.id,
      subId: client.subId === '' ? null : client.subId,
      endsAt,
      actor: deps.actor,
    });
    if (subscription === null) return { ...item, reason: 'server-full' };
    return { ...planned, userId, subscriptionId: subscription.id, workflow: await startWorkflow(subscription.id, userId, endsAt) };
  }
}

async function resolvePlan(db: DatabasePool, planId: number | undefined): Promise<number> {
  if (planId !== undefined) {
    if ((await getPlan(db, planId)) === null) throw new RecordNotFoundError(`plan ${planId}`);
    return planId;
  }
  const plans = [...(await listActivePlans(db))].sort((a, b) => a.duration_days - b.duration_days || a.id - b.id);
  const shortest = plans[0];
  if (shortest === undefined) throw new InvalidInputError('no active plan: seed the plans (npm run migrate -- --seed) or give --plan-id');
  return shortest.id;
}
