import { sql, type CommonQueryMethods } from 'slonik';
import { z } from 'zod';
import { moneyColumn } from '../schemas/columns';

const referralStats = z.object({ invited: z.number().int().nonnegative(), bonus: moneyColumn });

/**
 * What a referrer's link brought: users who joined through it (any status) and the bonus credited
 * for them (paid referrals), RUB as decimal text.
 */
export async function getReferralStats(connection: CommonQueryMethods, referrerId: number): Promise<{ invited: number; bonus: string }> {
  return connection.one(sql.type(referralStats)`
    SELECT count(*)::int AS invited,
           to_char(coalesce(sum(bonus_amount) FILTER (WHERE status = 'paid'), 0), 'FM9999999990.00') AS bonus
    FROM referrals
    WHERE referrer_id = ${referrerId}
  `);
}
