-- Additions to payments the product needs (not in the seed):
-- * provider: who processed the payment ('yookassa', 'cryptopay', 'telegram_stars', 'balance',
--   a sandbox name, ...). The seed has only payment_method (sbp/card/crypto), which says how the
--   user paid, not whose id external_id is: YooKassa serves both card and SBP, and two providers may
--   issue the same id. A format CHECK instead of a fixed list, because adding a provider must not
--   need a migration; the payment activities own the list.
-- * UNIQUE (provider, external_id): a provider's payment can be recorded once. NULLs stay distinct,
--   so a pending payment whose invoice is not created yet needs no id. The seed's
--   idx_payments_external_id stays (lookups by id alone).
-- * payment_method gains 'stars' (Telegram Stars) and 'balance' (paid from users.balance through the
--   ledger); status gains 'refunded' (a completed payment returned to the payer or to the balance).
-- * currency 'XTR' is Telegram Stars, whole numbers only, and only with payment_method 'stars'.
-- * idempotency_key: lets the caller that creates a payment (bot button, workflow activity) retry
--   without creating a second order. NULL allowed for rows created without one.
-- * completed_at: set exactly when the payment became completed; the conditional UPDATE that sets it
--   is how "mark completed exactly once" is decided (sql/repositories/payments-repository.ts).
-- * applied_at: when the completed payment's effect (a subscription's period, a top-up) was applied;
--   applying is a conditional UPDATE on applied_at IS NULL, so a renewal never extends twice.
-- * refunded_at: when a completed payment was refunded.

-- Up Migration

ALTER TABLE payments
    ADD COLUMN provider VARCHAR(32) NOT NULL,
    ADD COLUMN idempotency_key VARCHAR(128),
    ADD COLUMN completed_at TIMESTAMPTZ,
    ADD COLUMN applied_at TIMESTAMPTZ,
    ADD COLUMN refunded_at TIMESTAMPTZ,
    ADD CONSTRAINT payments_provider_format CHECK (provider ~ '^[a-z][a-z0-9_]{1,31}$'),
    ADD CONSTRAINT payments_provider_external_id_key UNIQUE (provider, external_id),
    ADD CONSTRAINT payments_idempotency_key_key UNIQUE (idempotency_key),
    DROP CONSTRAINT payments_method_known,
    ADD CONSTRAINT payments_method_known CHECK (payment_method IN ('sbp', 'card', 'crypto', 'stars', 'balance')),
    DROP CONSTRAINT payments_status_known,
    ADD CONSTRAINT payments_status_known CHECK (status IN ('pending', 'completed', 'failed', 'cancelled', 'refunded')),
    ADD CONSTRAINT payments_stars_currency CHECK ((payment_method = 'stars') = (currency = 'XTR')),
    ADD CONSTRAINT payments_stars_whole CHECK (currency <> 'XTR' OR amount = trunc(amount)),
    ADD CONSTRAINT payments_completed_at_set CHECK ((status IN ('completed', 'refunded')) = (completed_at IS NOT NULL)),
    ADD CONSTRAINT payments_refunded_at_set CHECK ((status = 'refunded') = (refunded_at IS NOT NULL)),
    ADD CONSTRAINT payments_applied_after_completion CHECK (applied_at IS NULL OR completed_at IS NOT NULL);

-- The provider reconciler looks for pending payments older than N minutes.
CREATE INDEX idx_payments_pending_created_at ON payments(created_at) WHERE status = 'pending';

-- Down Migration
DROP INDEX idx_payments_pending_created_at;
DELETE FROM payments WHERE payment_method IN ('stars', 'balance') OR status = 'refunded';
ALTER TABLE payments
    DROP CONSTRAINT payments_applied_after_completion,
    DROP CONSTRAINT payments_refunded_at_set,
    DROP CONSTRAINT payments_completed_at_set,
    DROP CONSTRAINT payments_stars_whole,
    DROP CONSTRAINT payments_stars_currency,
    DROP CONSTRAINT payments_status_known,
    ADD CONSTRAINT payments_status_known CHECK (status IN ('pending', 'completed', 'failed', 'cancelled')),
    DROP CONSTRAINT payments_method_known,
    ADD CONSTRAINT payments_method_known CHECK (payment_method IN ('sbp', 'card', 'crypto')),
    DROP CONSTRAINT payments_idempotency_key_key,
    DROP CONSTRAINT payments_provider_external_id_key,
    DROP CONSTRAINT payments_provider_format,
    DROP COLUMN refunded_at,
    DROP COLUMN applied_at,
    DROP COLUMN completed_at,
    DROP COLUMN idempotency_key,
    DROP COLUMN provider;
