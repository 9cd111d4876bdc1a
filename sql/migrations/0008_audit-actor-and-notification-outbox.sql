-- audit_logs: who caused each change (not in the seed, whose user_id cannot say "the YooKassa
-- webhook" or "the expiry timer").
-- * actor: 'user' | 'provider_webhook' | 'operator' | 'system'; actor_id: the user id, the
--   provider name, the operator's Telegram id, or the system component. Every state-changing
--   repository call writes its audit row in the same transaction as the change.
-- * user_id keeps the seed's column and now means the end user the change concerns (may differ from
--   the actor, e.g. an operator extending a user's subscription).
-- * An index on (entity_type, entity_id) answers "history of this payment/subscription".
--
-- notifications: the outbox/log of every message the system sends (DESIGN.md, Data).
-- * idempotency_key (NOT NULL, UNIQUE): derived by the caller from what the message is about (e.g.
--   'reminder:<subscriptionId>:<endDate>:72h'), so the same reminder is never enqueued twice even
--   when an activity is retried.
-- * attempts, last_error, failed_at: delivery bookkeeping; telegram_message_id: the sent message.
-- * A CHECK ties sent_at to status 'sent'; updated_at as on the other mutable tables.
-- * A partial index on scheduled_at for pending rows serves the dispatcher.

-- Up Migration

ALTER TABLE audit_logs
    ADD COLUMN actor VARCHAR(20) NOT NULL,
    ADD COLUMN actor_id VARCHAR(100),
    ADD CONSTRAINT audit_logs_actor_known CHECK (actor IN ('user', 'provider_webhook', 'operator', 'system'));

CREATE INDEX idx_audit_logs_entity ON audit_logs(entity_type, entity_id);

ALTER TABLE notifications
    ADD COLUMN idempotency_key VARCHAR(200) NOT NULL,
    ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN last_error VARCHAR(1000),
    ADD COLUMN failed_at TIMESTAMPTZ,
    ADD COLUMN telegram_message_id BIGINT,
    ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    ADD CONSTRAINT notifications_idempotency_key_key UNIQUE (idempotency_key),
    ADD CONSTRAINT notifications_attempts_not_negative CHECK (attempts >= 0),
    ADD CONSTRAINT notifications_sent_at_set CHECK ((status = 'sent') = (sent_at IS NOT NULL));

CREATE INDEX idx_notifications_pending_scheduled_at ON notifications(scheduled_at) WHERE status = 'pending';

-- Down Migration
DROP INDEX idx_notifications_pending_scheduled_at;
ALTER TABLE notifications
    DROP CONSTRAINT notifications_sent_at_set,
    DROP CONSTRAINT notifications_attempts_not_negative,
    DROP CONSTRAINT notifications_idempotency_key_key,
    DROP COLUMN updated_at,
    DROP COLUMN telegram_message_id,
    DROP COLUMN failed_at,
    DROP COLUMN last_error,
    DROP COLUMN attempts,
    DROP COLUMN idempotency_key;
DROP INDEX idx_audit_logs_entity;
ALTER TABLE audit_logs
    DROP CONSTRAINT audit_logs_actor_known,
    DROP COLUMN actor_id,
    DROP COLUMN actor;
