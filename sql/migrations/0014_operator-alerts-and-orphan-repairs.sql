-- The operator alert channel's store and the orphan sweeps' memory.
--
-- operator_alerts: every alert the system raised (activities/alert-activities.ts, the only sender).
-- * alert_key UNIQUE: deduplication. The same logical alert (e.g. `sweep:payment_unapplied:payment-7:r3:a1`)
--   is recorded and delivered at most once, whoever raises it and however often.
-- * kind: the AlertKind (activities/alert-activity-types.ts); the rate limit counts per kind.
-- * summary: the plain text a human reads, without secrets (the activity redacts tokens, keys and
--   links before it is stored); at most 2000 characters.
-- * subscription_id, user_id, payment_id, server_id: the ids an operator acts on. No foreign keys on
--   purpose: an alert must never block deleting what it talks about, nor fail because the row is gone.
-- * caller: the activity execution (workflow id, run id, activity id) that recorded it first, so a
--   retry of that same execution gets the first call's answer, while another caller is a duplicate.
-- * status: pending (recorded, not delivered yet: a crash or a Telegram outage; the sweep Schedule
--   delivers it later), sent, suppressed (over the per-kind rate limit: summed into the next sent
--   alert, see digested_at), undeliverable (every operator chat refused it, e.g. a wrong chat id).
-- * digested_at / digested_by: when and in which sent alert a suppressed alert was counted.
--
-- orphan_repairs: one row per orphan a sweep acted on (workflows/orphan-sweep-workflow.ts).
-- * (sweep, entity_id) UNIQUE: one episode per orphan; entity_id is a payment id
--   (payment_unapplied, cancelled_payment_late_success) or a subscription id (subscription_without_client).
-- * attempts / next_at: exponential backoff, so an orphan the repair cannot fix is retried less and
--   less often instead of on every run; last_sweep_id says which run made the last attempt, so a
--   retried sweep activity reports the same repairs as its first attempt did.
-- * The row is deleted once the orphan is gone (the payment applied, the client recorded), so a
--   later episode of the same orphan starts again at attempt 1 (and alerts again).
--
-- Three partial indexes hold only the orphan candidates the sweeps look for (completed but
-- unapplied payments, cancelled payments that reached a provider, active subscriptions without a
-- client), so a sweep reads a handful of index entries instead of scanning payments and
-- subscriptions every few minutes (measured on 100k payments and 50k subscriptions: the unapplied
-- and clientless queries take 0.02 ms in Postgres instead of a full scan, about 100 ms per claim).

-- Up Migration

CREATE TABLE operator_alerts (
    id BIGSERIAL PRIMARY KEY,
    alert_key TEXT NOT NULL,
    kind TEXT NOT NULL,
    summary TEXT NOT NULL,
    subscription_id INTEGER,
    user_id INTEGER,
    payment_id INTEGER,
    server_id INTEGER,
    caller TEXT,
    status TEXT NOT NULL DEFAULT 'pending',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at TIMESTAMPTZ,
    digested_at TIMESTAMPTZ,
    digested_by BIGINT REFERENCES operator_alerts (id),
    CONSTRAINT operator_alerts_key_key UNIQUE (alert_key),
    CONSTRAINT operator_alerts_key_length CHECK (length(alert_key) BETWEEN 1 AND 200),
    CONSTRAINT operator_alerts_kind_format CHECK (kind ~ '^[a-z_]{1,40}$'),
    CONSTRAINT operator_alerts_summary_length CHECK (length(summary) BETWEEN 1 AND 2000),
    CONSTRAINT operator_alerts_status CHECK (status IN ('pending', 'sent', 'suppressed', 'undeliverable')),
    CONSTRAINT operator_alerts_sent_at CHECK ((status = 'sent') = (sent_at IS NOT NULL)),
    CONSTRAINT operator_alerts_digest CHECK (digested_at IS NULL OR status = 'suppressed')
);

CREATE INDEX operator_alerts_kind_sent_idx ON operator_alerts (kind, sent_at) WHERE status = 'sent';
CREATE INDEX operator_alerts_undigested_idx ON operator_alerts (created_at) WHERE status = 'suppressed' AND digested_at IS NULL;
CREATE INDEX operator_alerts_pending_idx ON operator_alerts (created_at) WHERE status = 'pending';

CREATE TABLE orphan_repairs (
    id BIGSERIAL PRIMARY KEY,
    sweep TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    first_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    next_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_sweep_id TEXT,
    last_outcome TEXT,
    CONSTRAINT orphan_repairs_sweep_entity_key UNIQUE (sweep, entity_id),
    CONSTRAINT orphan_repairs_sweep CHECK (sweep IN ('payment_unapplied', 'subscription_without_client', 'cancelled_payment_late_success')),
    CONSTRAINT orphan_repairs_attempts CHECK (attempts >= 0)
);

CREATE INDEX payments_unapplied_idx ON payments (completed_at) WHERE status = 'completed' AND applied_at IS NULL;
CREATE INDEX payments_cancelled_at_provider_idx ON payments (created_at) WHERE status = 'cancelled' AND external_id IS NOT NULL;
CREATE INDEX subscriptions_active_without_client_idx ON subscriptions (updated_at)
    WHERE status = 'active' AND (server_id IS NULL OR vpn_key IS NULL OR xui_client_uuid IS NULL);

-- Down Migration

DROP INDEX subscriptions_active_without_client_idx;
DROP INDEX payments_cancelled_at_provider_idx;
DROP INDEX payments_unapplied_idx;

DROP TABLE orphan_repairs;
DROP TABLE operator_alerts;
