/**
 * Test support for the lifecycle activities (not used by production code): a fresh seeded test
 * database, the fake Telegram Bot API, and the activities built on both, as the worker builds them.
 */
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/activity';
import type { DatabasePool } from 'slonik';
import { startFakeTelegram, type FakeTelegram } from '../../fakes/telegram';
import { createLogger } from '../../lib/logger';
import { listActivePlans } from '../../sql/repositories/plans-repository';
import type { SubscriptionPlanRow } from '../../sql/schemas/subscription-plan-row';
import { createTestDatabase, type TestDatabase } from './test-database';
import { createLifecycleActivities } from '../../activities/lifecycle-activities';
import type { LifecycleActivities } from '../../activities/contracts/lifecycle-activities';
import { createTelegramSender } from '../../activities/telegram-sender';

/** What a lifecycle test works with. */
export interface LifecycleTestKit {
  database: TestDatabase;
  pool: DatabasePool;
  fake: FakeTelegram;
  activities: LifecycleActivities;
  /** The seeded '1 месяц' plan (30 days, 249.00). */
  monthPlan: SubscriptionPlanRow;
  /** Base URL the activities build subscription URLs from. */
  publicBaseUrl: string;
  close(): Promise<void>;
}

/** Starts a kit; call `close()` in `after`. Referral bonus: 5000 kopecks unless given. */
export async function startLifecycleTestKit(options: { referralBonusKopecks?: bigint | null } = {}): Promise<LifecycleTestKit> {
  const database = await createTestDatabase({ seed: true });
  const fake = await startFakeTelegram();
  const publicBaseUrl = 'https://vpn.example';
  const activities = createLifecycleActivities({
    db: database.pool,
    logger: createLogger({ level: 'silent' }),
    telegram: createTelegramSender({ token: fake.token, apiRoot: fake.apiRoot, maxDelaySeconds: 2 }),
    publicBaseUrl,
    referralBonusKopecks: options.referralBonusKopecks === undefined ? 5000n : options.referralBonusKopecks,
  });
  const monthPlan = (await listActivePlans(database.pool)).find((plan) => plan.duration_days === 30);
  assert.ok(monthPlan !== undefined, 'the seed has a 30-day plan');
  return {
    database,
    pool: database.pool,
    fake,
    activities,
    monthPlan,
    publicBaseUrl,
    close: async () => {
      await fake.close();
      await database.drop();
    },
  };
}

/** An assert.rejects predicate: an ApplicationFailure of `type` with the given retryability. */
export function failureOf(type: string, nonRetryable = true): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(error)}`);
    assert.equal(error.type, type);
    assert.equal(error.nonRetryable, nonRetryable);
    return true;
  };
}

/** Milliseconds in a day. */
export const DAY_MS = 86_400_000;
