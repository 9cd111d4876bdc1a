-- Telegram Stars charges (not in the seed): every `successful_payment` the bot receives, and every
-- incoming charge the Stars reconciler finds in getStarTransactions, is stored here FIRST, raw,
-- before anything acts on it. The payment is then settled from this row (applied to its order or
-- refunded), idempotently and retried until done, so a failure after the store never loses a charge.
-- * telegram_payment_charge_id UNIQUE: Telegram's id of the charge (the Bot API's dedupe key; the
--   same id in getStarTransactions). A redelivered update or a second reconciler pass is a no-op.
-- * telegram_user_id: who paid (refunds go back to them); invoice_payload: `order:<payments.id>`.
-- * total_amount: whole Stars; currency 'XTR'.
-- * raw: the `successful_payment` object as Telegram sent it (or the StarTransaction the reconciler
--   read), for investigation; it holds no secret.
-- * recorded_by: 'bot' (the update) or 'reconciler' (the update was lost or its store failed).
-- * payment_id: the order the payload names, when such a payment exists (set at the store).
-- * status received -> applied | refunding -> refunded, or unresolved (an operator must look):
--   applied means this charge completed its payment (payments.external_id = the charge id);
--   refunding means the decision to refund is taken and the refund call may not have happened yet.
--   The decision is taken once, under the row lock, and never changes: an applied charge is never
--   refunded and a refunding one is never applied.
-- * reason: why a charge was refunded or left unresolved (short machine words, no secrets).
-- * handed_off_at: when the applied payment was handed to its payment workflow; refunded_at,
--   user_notified_at, settled_at: when each step of the settlement finished.
-- * One applied charge per payment (partial unique index): a second charge is refunded.
-- * A trigger keeps the decision final whoever writes the row: applied stays applied, refunding
--   may only become refunded or unresolved, unresolved only refunded (an operator settled it).
-- stars_reconcile_cursor: one row, the getStarTransactions offset below which every incoming
-- charge is known to be recorded here (the list is append-only and chronological), so a
-- reconciler pass reads only what is new (plus a small overlap) instead of the whole history.

-- Up Migration

CREATE TABLE stars_charges (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    telegram_payment_charge_id VARCHAR(255) NOT NULL,
    provider_payment_charge_id VARCHAR(255),
    telegram_user_id BIGINT NOT NULL,
    invoice_payload VARCHAR(128) NOT NULL,
    currency VARCHAR(8) NOT NULL,
    total_amount INTEGER NOT NULL,
    raw JSONB NOT NULL,
    recorded_by VARCHAR(16) NOT NULL,
    payment_id INTEGER REFERENCES payments(id) ON DELETE SET NULL,
    status VARCHAR(16) NOT NULL DEFAULT 'received',
    reason VARCHAR(64),
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    decided_at TIMESTAMPTZ,
    handed_off_at TIMESTAMPTZ,
    refunded_at TIMESTAMPTZ,
    user_notified_at TIMESTAMPTZ,
    settled_at TIMESTAMPTZ,
    CONSTRAINT stars_charges_charge_id_key UNIQUE (telegram_payment_charge_id),
    CONSTRAINT stars_charges_charge_id_not_empty CHECK (telegram_payment_charge_id <> ''),
    CONSTRAINT stars_charges_user_positive CHECK (telegram_user_id > 0),
    CONSTRAINT stars_charges_amount_positive CHECK (total_amount > 0),
    CONSTRAINT stars_charges_recorded_by_known CHECK (recorded_by IN ('bot', 'reconciler')),
    CONSTRAINT stars_charges_status_known CHECK (status IN ('received', 'applied', 'refunding', 'refunded', 'unresolved')),
    CONSTRAINT stars_charges_decided_at_set CHECK ((status = 'received') = (decided_at IS NULL)),
    CONSTRAINT stars_charges_applied_has_payment CHECK (status <> 'applied' OR payment_id IS NOT NULL),
    CONSTRAINT stars_charges_refunded_at_set CHECK ((status = 'refunded') = (refunded_at IS NOT NULL)),
    CONSTRAINT stars_charges_raw_object CHECK (jsonb_typeof(raw) = 'object')
);

-- At most one charge completes an order; any other charge for it is refunded.
CREATE UNIQUE INDEX stars_charges_one_applied_per_payment ON stars_charges(payment_id) WHERE status = 'applied';
-- Unsettled charges, oldest first, for the reconciler; and "is a charge for this order pending?".
CREATE INDEX idx_stars_charges_unsettled ON stars_charges(received_at) WHERE settled_at IS NULL;
CREATE INDEX idx_stars_charges_payment_id ON stars_charges(payment_id);

CREATE FUNCTION stars_charges_decision_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = OLD.status OR OLD.status = 'received'
       OR (OLD.status = 'refunding' AND NEW.status IN ('refunded', 'unresolved'))
       OR (OLD.status = 'unresolved' AND NEW.status = 'refunded') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'stars charge % is %, it cannot become %', OLD.id, OLD.status, NEW.status
        USING ERRCODE = 'check_violation', CONSTRAINT = 'stars_charges_decision_final';
END
$$;

CREATE TRIGGER stars_charges_decision_final BEFORE UPDATE OF status ON stars_charges
    FOR EACH ROW EXECUTE FUNCTION stars_charges_decision_final();

CREATE TABLE stars_reconcile_cursor (
    id BOOLEAN PRIMARY KEY DEFAULT true,
    next_offset INTEGER NOT NULL DEFAULT 0,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT stars_reconcile_cursor_single_row CHECK (id),
    CONSTRAINT stars_reconcile_cursor_offset_not_negative CHECK (next_offset >= 0)
);
INSERT INTO stars_reconcile_cursor (id, next_offset) VALUES (true, 0);

-- Down Migration
DROP TABLE stars_reconcile_cursor;
DROP TABLE stars_charges;
DROP FUNCTION stars_charges_decision_final();
