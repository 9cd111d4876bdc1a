-- The user's journey (issue 11): plan names per language, promo codes reserved until paid (percent
-- or fixed amount, kept per user in the database), referral bonuses as a share of what was paid
-- and reversed on refund.
--
-- subscription_plans.name_en: the plan's English name (name stays the Russian one); NULL falls back
-- to name. Set here for the sample plans and by sql/seed for new databases.
--
-- promo_codes:
-- * amount_off NUMERIC(12,2): a fixed discount in RUB, as an alternative to percent_off (which
--   becomes nullable); a CHECK keeps exactly one of the two set. The price never goes below 0.01.
-- promo_redemptions:
-- * status 'reserved' | 'consumed': a redemption is RESERVED when an order with the code is created
--   (it counts towards max_redemptions and the once-per-user rule at once, so the last use cannot be
--   sold twice), CONSUMED when a payment with the code completes, and deleted (released, with
--   redeemed_count decremented) when the user's last pending payment with the code is cancelled or
--   fails. Existing rows were used at order creation: they stay 'consumed'.
-- * payment_id: the payment that holds the reservation (the newest order with the code), then the
--   one that consumed it.
-- pending_promos: the code a user applied (/promo or the Promo button) and has not paid with yet,
--   one per user; kept until a payment with it completes, or the user applies another.
--
-- referrals.bonus_reversed_at: set when the bonus was taken back because the payment that earned it
-- was refunded; the ledger row (reason 'referral_reversal', negative) is in the same transaction.

-- gifts: a plan bought as a gift. The buyer's order (payment_id, without a subscription) makes the
-- gift; its completion marks it paid (paid_at, same transaction); the first user to open
-- t.me/<bot>?start=gift_<code> redeems it: a subscription of theirs is created, the payment is
-- attached to it and applied by its workflow (redeemed_by_user_id, subscription_id, redeemed_at;
-- audited 'gift.redeemed'). code: 12 characters of A-Z and 0-9, unique.

-- Up Migration

CREATE TABLE gifts (
    id SERIAL PRIMARY KEY,
    code VARCHAR(32) NOT NULL,
    buyer_user_id INTEGER NOT NULL REFERENCES users(id),
    plan_id INTEGER NOT NULL REFERENCES subscription_plans(id),
    payment_id INTEGER NOT NULL REFERENCES payments(id),
    paid_at TIMESTAMPTZ,
    redeemed_by_user_id INTEGER REFERENCES users(id),
    subscription_id INTEGER REFERENCES subscriptions(id),
    redeemed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT gifts_code_key UNIQUE (code),
    CONSTRAINT gifts_code_format CHECK (code ~ '^[A-Z0-9]{8,32}$'),
    CONSTRAINT gifts_payment_id_key UNIQUE (payment_id),
    CONSTRAINT gifts_redeemed_consistent CHECK ((redeemed_at IS NULL) = (redeemed_by_user_id IS NULL) AND (redeemed_at IS NULL) = (subscription_id IS NULL)),
    CONSTRAINT gifts_redeemed_after_paid CHECK (redeemed_at IS NULL OR paid_at IS NOT NULL)
);
CREATE INDEX idx_gifts_buyer_user_id ON gifts(buyer_user_id);

ALTER TABLE subscription_plans ADD COLUMN name_en VARCHAR(100);
UPDATE subscription_plans SET name_en = CASE name
    WHEN '1 месяц' THEN '1 month'
    WHEN '3 месяца' THEN '3 months'
    WHEN '6 месяцев' THEN '6 months'
    WHEN '12 месяцев' THEN '12 months'
END
WHERE name_en IS NULL;

ALTER TABLE promo_codes
    ALTER COLUMN percent_off DROP NOT NULL,
    ADD COLUMN amount_off NUMERIC(12,2),
    ADD CONSTRAINT promo_codes_amount_off_positive CHECK (amount_off IS NULL OR amount_off > 0),
    ADD CONSTRAINT promo_codes_one_kind CHECK ((percent_off IS NULL) <> (amount_off IS NULL));

ALTER TABLE promo_redemptions
    ADD COLUMN status VARCHAR(10) NOT NULL DEFAULT 'consumed',
    ADD COLUMN consumed_at TIMESTAMPTZ,
    ADD CONSTRAINT promo_redemptions_status_known CHECK (status IN ('reserved', 'consumed'));

CREATE TABLE pending_promos (
    user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    promo_code_id INTEGER NOT NULL REFERENCES promo_codes(id),
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

ALTER TABLE referrals ADD COLUMN bonus_reversed_at TIMESTAMPTZ;

ALTER TABLE balance_ledger
    DROP CONSTRAINT balance_ledger_reason_known,
    DROP CONSTRAINT balance_ledger_reason_sign,
    ADD CONSTRAINT balance_ledger_reason_known
        CHECK (reason IN ('top_up', 'referral_bonus', 'refund', 'subscription_purchase', 'operator_adjustment', 'referral_reversal')),
    ADD CONSTRAINT balance_ledger_reason_sign CHECK (
        (reason IN ('top_up', 'referral_bonus', 'refund') AND amount > 0)
        OR (reason IN ('subscription_purchase', 'referral_reversal') AND amount < 0)
        OR reason = 'operator_adjustment'
    );

-- Down Migration
ALTER TABLE balance_ledger
    DROP CONSTRAINT balance_ledger_reason_sign,
    DROP CONSTRAINT balance_ledger_reason_known,
    ADD CONSTRAINT balance_ledger_reason_known
        CHECK (reason IN ('top_up', 'referral_bonus', 'refund', 'subscription_purchase', 'operator_adjustment')),
    ADD CONSTRAINT balance_ledger_reason_sign CHECK (
        (reason IN ('top_up', 'referral_bonus', 'refund') AND amount > 0)
        OR (reason = 'subscription_purchase' AND amount < 0)
        OR reason = 'operator_adjustment'
    );
ALTER TABLE referrals DROP COLUMN bonus_reversed_at;
DROP TABLE pending_promos;
ALTER TABLE promo_redemptions
    DROP CONSTRAINT promo_redemptions_status_known,
    DROP COLUMN consumed_at,
    DROP COLUMN status;
ALTER TABLE promo_codes
    DROP CONSTRAINT promo_codes_one_kind,
    DROP CONSTRAINT promo_codes_amount_off_positive,
    DROP COLUMN amount_off,
    ALTER COLUMN percent_off SET NOT NULL;
ALTER TABLE subscription_plans DROP COLUMN name_en;
DROP TABLE gifts;
