-- Plan periods finer than a day (issue 15, bench scale): subscription_plans.duration_seconds, when
-- set, is the plan's period in seconds and duration_days is ignored. Production plans leave it NULL
-- (whole days, as before). A test or bench plan of, say, 120 seconds runs the same production
-- code path (applyPayment, the workflow's expiry and grace timers) so real expiries happen within
-- minutes and their lateness can be measured.

-- Up Migration

ALTER TABLE subscription_plans
    ADD COLUMN duration_seconds INTEGER,
    ADD CONSTRAINT subscription_plans_duration_seconds_positive CHECK (duration_seconds IS NULL OR duration_seconds > 0);

COMMENT ON COLUMN subscription_plans.duration_seconds IS
    'Period in seconds when set (test and bench plans); NULL = duration_days whole days';

-- Down Migration

ALTER TABLE subscription_plans DROP COLUMN duration_seconds;
