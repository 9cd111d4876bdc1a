-- The webhook inbox becomes an outbox (issue 15, goal 2): the api answers a verified webhook as
-- soon as its row is committed, and a dispatcher (api/webhook-dispatcher.ts) hands 'received'
-- rows to the payment workflows afterwards, so the provider's answer no longer waits for Temporal
-- and a crash between the two loses nothing: the row stays 'received' until a dispatcher marks it.
--
-- New columns of webhook_events:
-- * notification JSONB: what verification parsed from the delivery, {kind, orderId, externalId},
--   the only input the dispatcher needs (it cannot verify again: YooKassa's check is the source IP,
--   which is not stored). externalId is null when Postgres cannot hold it (NUL, lone surrogate):
--   such an id names no payment of ours. NULL on rows from before 0017; the dispatcher takes only
--   rows that have it (a redelivery of an older event fills it in).
-- * dispatch_attempts / dispatch_after: hand-offs that failed (Temporal or the database down) and
--   when the next may run (exponential backoff, at most five minutes apart); the row stays
--   'received' and is never given up.
-- The dispatcher claims received rows with FOR UPDATE SKIP LOCKED inside the transaction that
-- records their outcome, so any number of api replicas share the work and a dispatcher that dies
-- mid-batch releases its rows to the next. idx_webhook_events_to_dispatch keeps that scan to the
-- backlog.

-- Up Migration

ALTER TABLE webhook_events
    ADD COLUMN notification JSONB,
    ADD COLUMN dispatch_attempts INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN dispatch_after TIMESTAMPTZ,
    ADD CONSTRAINT webhook_events_notification_object CHECK (notification IS NULL OR jsonb_typeof(notification) = 'object'),
    ADD CONSTRAINT webhook_events_dispatch_attempts_non_negative CHECK (dispatch_attempts >= 0);

CREATE INDEX idx_webhook_events_to_dispatch ON webhook_events(id) WHERE status = 'received';

-- Down Migration
DROP INDEX idx_webhook_events_to_dispatch;
ALTER TABLE webhook_events
    DROP CONSTRAINT webhook_events_dispatch_attempts_non_negative,
    DROP CONSTRAINT webhook_events_notification_object,
    DROP COLUMN dispatch_after,
    DROP COLUMN dispatch_attempts,
    DROP COLUMN notification;
