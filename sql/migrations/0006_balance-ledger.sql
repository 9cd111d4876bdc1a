-- The append-only balance ledger (not in the seed). Every credit and debit of a user's balance is a
-- row here with its signed amount, reason, source row and an idempotency key; users.balance is kept
-- equal to the sum of the user's rows in the same transaction (sql/repositories/ledger-repository.ts).
-- The database proves the identity instead of trusting the code:
-- * users_balance_not_negative: CHECK (balance >= 0), immediate, so a debit can never overdraw.
-- * users_balance_matches_ledger: a constraint trigger, DEFERRABLE INITIALLY DEFERRED, fires for
--   every inserted ledger row and every write of users.balance and, at COMMIT, compares the user's
--   balance with the ledger's sum. Deferred because a balance change is two statements (UPDATE users,
--   INSERT ledger) that are only consistent together. A direct "UPDATE users SET balance = ..."
--   fails at commit with SQLSTATE 23514 (check_violation) naming this constraint.
-- * balance_ledger_append_only: UPDATE, DELETE and TRUNCATE of the ledger are rejected; a mistake is
--   corrected with a new, opposite row (reason 'operator_adjustment' or 'refund').
-- * The sign of amount follows the reason (credits > 0, purchases < 0, adjustments either way).
-- * user_id is ON DELETE RESTRICT: a user with money history is anonymised, not deleted.
-- * balance_after (the balance right after this row) makes every statement line self-explaining;
--   it is written from the same locked UPDATE that moved the balance.
-- ids are bigint identity: the ledger and audit trail outgrow int4 long before users do.

-- Up Migration

ALTER TABLE users ADD CONSTRAINT users_balance_not_negative CHECK (balance >= 0);

CREATE TABLE balance_ledger (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
    amount NUMERIC(12,2) NOT NULL,
    balance_after NUMERIC(12,2) NOT NULL,
    reason VARCHAR(32) NOT NULL,
    source_table VARCHAR(32),
    source_id BIGINT,
    idempotency_key VARCHAR(200) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT balance_ledger_idempotency_key_key UNIQUE (idempotency_key),
    CONSTRAINT balance_ledger_amount_not_zero CHECK (amount <> 0),
    CONSTRAINT balance_ledger_balance_after_not_negative CHECK (balance_after >= 0),
    CONSTRAINT balance_ledger_reason_known
        CHECK (reason IN ('top_up', 'referral_bonus', 'refund', 'subscription_purchase', 'operator_adjustment')),
    CONSTRAINT balance_ledger_reason_sign CHECK (
        (reason IN ('top_up', 'referral_bonus', 'refund') AND amount > 0)
        OR (reason = 'subscription_purchase' AND amount < 0)
        OR reason = 'operator_adjustment'
    ),
    CONSTRAINT balance_ledger_source_pair CHECK ((source_table IS NULL) = (source_id IS NULL)),
    CONSTRAINT balance_ledger_source_table_known
        CHECK (source_table IN ('payments', 'referrals', 'subscriptions', 'audit_logs'))
);

CREATE INDEX idx_balance_ledger_user_id ON balance_ledger(user_id, id);

CREATE FUNCTION balance_ledger_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'balance_ledger is append-only (% rejected)', TG_OP
        USING ERRCODE = 'check_violation', CONSTRAINT = 'balance_ledger_append_only', TABLE = 'balance_ledger';
END
$$;

CREATE TRIGGER balance_ledger_append_only
    BEFORE UPDATE OR DELETE ON balance_ledger
    FOR EACH ROW EXECUTE FUNCTION balance_ledger_reject_change();

CREATE TRIGGER balance_ledger_append_only_truncate
    BEFORE TRUNCATE ON balance_ledger
    FOR EACH STATEMENT EXECUTE FUNCTION balance_ledger_reject_change();

CREATE FUNCTION users_check_balance_matches_ledger() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    checked_user_id integer;
    user_balance numeric;
    ledger_sum numeric;
BEGIN
    IF TG_TABLE_NAME = 'users' THEN
        checked_user_id := NEW.id;
    ELSE
        checked_user_id := NEW.user_id;
    END IF;
    SELECT balance INTO user_balance FROM users WHERE id = checked_user_id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT coalesce(sum(amount), 0) INTO ledger_sum FROM balance_ledger WHERE user_id = checked_user_id;
    IF user_balance <> ledger_sum THEN
        RAISE EXCEPTION 'users.balance of user % is %, but its ledger sums to %', checked_user_id, user_balance, ledger_sum
            USING ERRCODE = 'check_violation', CONSTRAINT = 'users_balance_matches_ledger', TABLE = 'users';
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER users_balance_matches_ledger
    AFTER INSERT OR UPDATE OF balance ON users
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION users_check_balance_matches_ledger();

CREATE CONSTRAINT TRIGGER balance_ledger_matches_users_balance
    AFTER INSERT ON balance_ledger
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION users_check_balance_matches_ledger();

-- Down Migration
DROP TRIGGER balance_ledger_matches_users_balance ON balance_ledger;
DROP TRIGGER users_balance_matches_ledger ON users;
DROP FUNCTION users_check_balance_matches_ledger();
DROP TABLE balance_ledger;
DROP FUNCTION balance_ledger_reject_change();
ALTER TABLE users DROP CONSTRAINT users_balance_not_negative;
