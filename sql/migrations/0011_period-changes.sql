-- period_changes: the recorded result of every request that moved a subscription's period or money
-- (a payment applied, a trial granted, an operator extension, an auto-renewal, a payment that
-- landed on a cancelled subscription and went to the balance).
--
-- Why: an activity whose transaction commits but whose completion is lost (worker killed, timeout,
-- Temporal restart) is retried. Before this table the retry answered "not applied by me" and the
-- workflow read that as "nothing to do", so a paid order was never provisioned. Now the change and
-- its result row commit in one transaction, and a retry returns the first call's result unchanged:
-- a retry is indistinguishable from the first call.
-- * request_key TEXT PRIMARY KEY: derived from workflow data, e.g. `payment:<paymentId>`,
--   `trial:<userId>`, `extend:<subscriptionId>:<requestId>`, `auto-renew:<subscriptionId>:<endsAt>`.
--   The primary key makes a second insert for the same request impossible; callers check it under
--   the subscription's row lock first, so they never even try.
-- * subscription_id: the subscription the change applied to (a trial key is per user: a call for
--   another subscription of the same user sees this and is refused).
-- * kind: what kind of request it was (CHECK lists them).
-- * result JSONB: the activity's answer as the workflow saw it (the period snapshot right after the
--   change, ISO times), returned verbatim on every retry.

-- Up Migration

CREATE TABLE period_changes (
    request_key TEXT PRIMARY KEY,
    subscription_id INTEGER NOT NULL REFERENCES subscriptions(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    result JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT period_changes_kind_known
        CHECK (kind IN ('payment', 'trial', 'extend', 'auto_renew', 'payment_to_balance')),
    CONSTRAINT period_changes_request_key_length CHECK (length(request_key) BETWEEN 1 AND 250)
);

CREATE INDEX idx_period_changes_subscription_id ON period_changes(subscription_id);

-- Down Migration
DROP TABLE period_changes;
