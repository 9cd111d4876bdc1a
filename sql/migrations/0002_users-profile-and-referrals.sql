-- Additions to users and referrals the product needs (not in the seed):
-- * users.language_code: the user's chosen UI language (IETF tag as Telegram sends it, e.g. 'ru',
--   'en'); NULL = not chosen yet, the bot falls back to Telegram's language or its default.
-- * users.referral_code: the code in the deep link `t.me/<bot>?start=ref_<code>`. Filled by the
--   database on insert (new_referral_code(): 10 Crockford-base32 characters = 50 random bits from
--   gen_random_uuid()), so every user has one no matter who inserted the row. Not a secret, only
--   unique; operators may set vanity codes matching the format check. A collision on insert is a
--   unique violation that sql/repositories/users-repository.ts retries.
-- * users.auto_renew: renewal from balance is opt-in (false until the user turns it on).
-- * users.trial_used_at: when the user's one free trial was granted (NULL = still available);
--   setting it is a conditional UPDATE, so two trials can never be granted concurrently.
-- * referrals: a user is referred at most once (UNIQUE (referred_id), which also replaces an index
--   on referred_id), so "credit a referral bonus once per referred user" is a row-level fact; paid_at
--   and source_payment_id record when and because of which payment the bonus was paid.

-- Up Migration

CREATE FUNCTION new_referral_code() RETURNS text
LANGUAGE sql VOLATILE AS $$
    -- Byte 6 (the UUID version nibble) is skipped; the low 5 bits of every other byte are random.
    SELECT string_agg(substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', (get_byte(r.b, i.n) % 32) + 1, 1), '' ORDER BY i.ord)
    FROM (SELECT uuid_send(gen_random_uuid()) AS b) AS r,
         unnest(ARRAY[0, 1, 2, 3, 4, 5, 7, 8, 9, 10]) WITH ORDINALITY AS i(n, ord)
$$;

ALTER TABLE users
    ADD COLUMN language_code VARCHAR(16),
    ADD COLUMN referral_code VARCHAR(32) NOT NULL DEFAULT new_referral_code(),
    ADD COLUMN auto_renew BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN trial_used_at TIMESTAMPTZ,
    ADD CONSTRAINT users_referral_code_key UNIQUE (referral_code),
    ADD CONSTRAINT users_referral_code_format CHECK (referral_code ~ '^[A-Za-z0-9_]{4,32}$'),
    ADD CONSTRAINT users_language_code_format CHECK (language_code ~ '^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$');

ALTER TABLE referrals
    ADD COLUMN paid_at TIMESTAMPTZ,
    ADD COLUMN source_payment_id INTEGER REFERENCES payments(id) ON DELETE SET NULL,
    ADD CONSTRAINT referrals_referred_id_key UNIQUE (referred_id),
    ADD CONSTRAINT referrals_paid_consistent
        CHECK ((status = 'paid') = (paid_at IS NOT NULL) AND (status <> 'paid' OR bonus_amount IS NOT NULL));

-- Down Migration
ALTER TABLE referrals
    DROP CONSTRAINT referrals_paid_consistent,
    DROP CONSTRAINT referrals_referred_id_key,
    DROP COLUMN source_payment_id,
    DROP COLUMN paid_at;
ALTER TABLE users
    DROP CONSTRAINT users_language_code_format,
    DROP CONSTRAINT users_referral_code_format,
    DROP CONSTRAINT users_referral_code_key,
    DROP COLUMN trial_used_at,
    DROP COLUMN auto_renew,
    DROP COLUMN referral_code,
    DROP COLUMN language_code;
DROP FUNCTION new_referral_code();
