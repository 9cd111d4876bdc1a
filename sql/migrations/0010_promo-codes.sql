-- Promo codes: a percentage off one plan purchase, entered by the user (/promo CODE in the bot).
--
-- promo_codes: what the operator creates.
-- * code: UNIQUE, plus CHECK code = upper(code) and a 3..32 letters/digits/_/- format, so uniqueness is
--   case-insensitive without citext: callers upper-case what the user typed before looking it up.
-- * percent_off INTEGER 1..100: whole percents; the discounted price is computed in TypeScript with
--   lib/money.ts applyDiscount(price, percent_off, 'half-up') and never goes below one kopeck.
-- * max_redemptions: NULL = unlimited, otherwise > 0; redeemed_count counts redemptions and a CHECK
--   keeps it within 0..max_redemptions, so even a buggy query cannot oversell the last one. The
--   repository increments it with a conditional UPDATE (row lock), so a race on the last redemption
--   has exactly one winner.
-- * expires_at: NULL = never; is_active: the operator's off switch.
--
-- promo_redemptions: one row per use, written in the same transaction as the payment it discounts.
-- * UNIQUE (promo_code_id, user_id): a code works once per user.
-- * payment_id UNIQUE: a payment carries at most one promo code.
-- * redeemed_count = count(promo_redemptions) of the code (the repository keeps both in one
--   transaction; the money property test checks it).
--
-- payments gains:
-- * promo_code_id: the code that discounted it (NULL for a full-price payment), FK to promo_codes.
-- * list_price NUMERIC(12,2): the undiscounted price in the payment's currency (RUB, or whole Stars
--   for XTR), set exactly when promo_code_id is (CHECK), with amount <= list_price (CHECK), so the
--   discount is always visible in the row and never makes a payment dearer.
-- A redemption is consumed when the payment is created (not when it is paid): simple and race-free;
-- an abandoned discounted order keeps the user's one use of that code.

-- Up Migration

CREATE TABLE promo_codes (
    id SERIAL PRIMARY KEY,
    code VARCHAR(32) NOT NULL,
    percent_off INTEGER NOT NULL,
    max_redemptions INTEGER,
    redeemed_count INTEGER NOT NULL DEFAULT 0,
    expires_at TIMESTAMPTZ,
    is_active BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT promo_codes_code_key UNIQUE (code),
    CONSTRAINT promo_codes_code_upper CHECK (code = upper(code)),
    CONSTRAINT promo_codes_code_format CHECK (code ~* '^[a-z0-9_-]{3,32}$'),
    CONSTRAINT promo_codes_percent_off_range CHECK (percent_off BETWEEN 1 AND 100),
    CONSTRAINT promo_codes_max_redemptions_positive CHECK (max_redemptions IS NULL OR max_redemptions > 0),
    CONSTRAINT promo_codes_redeemed_count_range CHECK (
        redeemed_count >= 0 AND (max_redemptions IS NULL OR redeemed_count <= max_redemptions)
    )
);

CREATE TABLE promo_redemptions (
    id SERIAL PRIMARY KEY,
    promo_code_id INTEGER NOT NULL REFERENCES promo_codes(id),
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    payment_id INTEGER NOT NULL REFERENCES payments(id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT promo_redemptions_once_per_user UNIQUE (promo_code_id, user_id),
    CONSTRAINT promo_redemptions_payment_id_key UNIQUE (payment_id)
);

CREATE INDEX idx_promo_redemptions_user_id ON promo_redemptions(user_id);

ALTER TABLE payments
    ADD COLUMN promo_code_id INTEGER REFERENCES promo_codes(id),
    ADD COLUMN list_price NUMERIC(12,2),
    ADD CONSTRAINT payments_list_price_with_promo CHECK ((promo_code_id IS NULL) = (list_price IS NULL)),
    ADD CONSTRAINT payments_amount_within_list_price CHECK (list_price IS NULL OR amount <= list_price);

-- Down Migration
ALTER TABLE payments
    DROP CONSTRAINT payments_amount_within_list_price,
    DROP CONSTRAINT payments_list_price_with_promo,
    DROP COLUMN list_price,
    DROP COLUMN promo_code_id;
DROP TABLE promo_redemptions;
DROP TABLE promo_codes;
