-- The seed schema (/work/shared/seed-schema.md): every seed table, column, default, unique
-- constraint and index, under the seed's names and meanings, with the seed's flaws fixed.
-- Every change from the seed is marked "Seed fix:" where it is made. Product additions
-- (3X-UI identity, ledger, inbox, ...) come in the later migrations, one concern per file.
--
-- Changes applied to every table (not repeated below):
-- * Seed fix: TIMESTAMP -> TIMESTAMPTZ. A subscription's end is an instant, not a wall-clock
--   reading; TIMESTAMP silently depends on the session time zone. CURRENT_TIMESTAMP -> now()
--   (same value, one spelling).
-- * Seed fix: a column with a default and no meaning for NULL is NOT NULL (balance, is_active,
--   status, currency, traffic_used, created_at, ...). The seed's NULL balance would make
--   "balance >= amount" unknown instead of false.
-- * Seed fix: the enum-like VARCHAR columns whose allowed values the seed gives only as comments
--   (status, payment_method) get CHECK constraints listing those values, so a typo is an error
--   instead of a row no query ever finds. Later migrations extend the lists.
-- * Seed fix: money is NUMERIC(12,2) everywhere (seed: DECIMAL(10,2) and DECIMAL(8,2)). One type
--   for balance, prices, payments, bonuses and the ledger (0006) means sums and comparisons never
--   mix precisions and a ledger sum can never overflow the balance column. Money stays exact
--   decimal in Postgres; TypeScript sees decimal strings and does arithmetic in integer kopecks
--   (lib/money.ts), never in floats.

-- Up Migration

CREATE TABLE users (
    id SERIAL PRIMARY KEY,
    telegram_id BIGINT UNIQUE NOT NULL,
    username VARCHAR(255),
    first_name VARCHAR(255),
    referrer_id INTEGER REFERENCES users(id),
    balance NUMERIC(12,2) NOT NULL DEFAULT 0.00,
    is_active BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Seed fix: Telegram ids are positive; a user cannot refer themselves.
    CONSTRAINT users_telegram_id_positive CHECK (telegram_id > 0),
    CONSTRAINT users_referrer_not_self CHECK (referrer_id IS NULL OR referrer_id <> id)
);

CREATE TABLE subscription_plans (
    id SERIAL PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    duration_days INTEGER NOT NULL,
    price_rub NUMERIC(12,2) NOT NULL,
    features JSONB,
    is_active BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Seed fix: a plan lasts at least a day and never costs a negative amount (0 = free/trial).
    CONSTRAINT subscription_plans_duration_positive CHECK (duration_days > 0),
    CONSTRAINT subscription_plans_price_not_negative CHECK (price_rub >= 0)
);

-- Seed fix: vpn_servers is created before subscriptions, which references it (the seed's order
-- fails with "relation vpn_servers does not exist").
CREATE TABLE vpn_servers (
    id SERIAL PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    location VARCHAR(100),
    endpoint VARCHAR(255) NOT NULL,
    xui_panel_url VARCHAR(255),
    xui_username VARCHAR(100),
    -- Kept for the seed's shape only; 0005 forbids storing anything in it (plaintext secret).
    xui_password VARCHAR(255),
    max_users INTEGER NOT NULL DEFAULT 1000,
    current_users INTEGER NOT NULL DEFAULT 0,
    is_active BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Seed fix: the slot counter can neither go negative nor exceed the capacity (which therefore
    -- cannot be negative either). Together with the conditional UPDATE in
    -- sql/repositories/server-slots-repository.ts this guarantees that two subscriptions can never
    -- both take a server's last slot.
    CONSTRAINT vpn_servers_current_users_in_range CHECK (current_users >= 0 AND current_users <= max_users)
);

CREATE TABLE subscriptions (
    id SERIAL PRIMARY KEY,
    -- Seed fix: NOT NULL; a subscription without a user has no meaning (and ON DELETE CASCADE
    -- already shows the seed treats it as owned by the user).
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    plan_id INTEGER REFERENCES subscription_plans(id),
    start_date TIMESTAMPTZ NOT NULL,
    end_date TIMESTAMPTZ NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'active',
    vpn_key TEXT,
    qr_code TEXT,
    server_id INTEGER REFERENCES vpn_servers(id),
    traffic_used BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT subscriptions_status_known CHECK (status IN ('active', 'expired', 'cancelled')),
    -- Seed fix: a period ends after it starts; traffic (bytes) is never negative.
    CONSTRAINT subscriptions_period_ordered CHECK (end_date > start_date),
    CONSTRAINT subscriptions_traffic_not_negative CHECK (traffic_used >= 0)
);

CREATE TABLE payments (
    id SERIAL PRIMARY KEY,
    -- Seed fix: NOT NULL, as for subscriptions.user_id.
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    subscription_id INTEGER REFERENCES subscriptions(id),
    amount NUMERIC(12,2) NOT NULL,
    currency VARCHAR(3) NOT NULL DEFAULT 'RUB',
    payment_method VARCHAR(20) NOT NULL,
    status VARCHAR(20) NOT NULL DEFAULT 'pending',
    external_id VARCHAR(255),
    external_data JSONB,
    webhook_received_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT payments_method_known CHECK (payment_method IN ('sbp', 'card', 'crypto')),
    CONSTRAINT payments_status_known CHECK (status IN ('pending', 'completed', 'failed', 'cancelled')),
    -- Seed fix: a payment moves money (> 0); currency is an ISO-4217-shaped code.
    CONSTRAINT payments_amount_positive CHECK (amount > 0),
    CONSTRAINT payments_currency_code CHECK (currency ~ '^[A-Z]{3}$')
);

CREATE TABLE referrals (
    id SERIAL PRIMARY KEY,
    -- Seed fix: NOT NULL on both sides; a referral with a missing party is meaningless and would
    -- slip past UNIQUE (NULLs are distinct).
    referrer_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    referred_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    bonus_amount NUMERIC(12,2),
    status VARCHAR(20) NOT NULL DEFAULT 'pending',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE(referrer_id, referred_id),
    CONSTRAINT referrals_status_known CHECK (status IN ('pending', 'paid', 'cancelled')),
    CONSTRAINT referrals_not_self CHECK (referrer_id <> referred_id),
    CONSTRAINT referrals_bonus_not_negative CHECK (bonus_amount IS NULL OR bonus_amount >= 0)
);

CREATE TABLE audit_logs (
    id SERIAL PRIMARY KEY,
    user_id INTEGER REFERENCES users(id),
    action VARCHAR(100) NOT NULL,
    entity_type VARCHAR(50),
    -- Seed fix: BIGINT, because the ledger and webhook inbox (0006, 0007) have bigint ids.
    entity_id BIGINT,
    details JSONB,
    ip_address INET,
    user_agent TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE notifications (
    id SERIAL PRIMARY KEY,
    -- Seed fix: NOT NULL, as for subscriptions.user_id.
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    type VARCHAR(50) NOT NULL,
    title VARCHAR(255),
    message TEXT,
    data JSONB,
    status VARCHAR(20) NOT NULL DEFAULT 'pending',
    scheduled_at TIMESTAMPTZ,
    sent_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT notifications_status_known CHECK (status IN ('pending', 'sent', 'failed'))
);

-- The seed's indexes, unchanged. idx_users_telegram_id duplicates the UNIQUE constraint's own
-- index and is kept only because the seed names it; it costs a little write time and nothing else.
CREATE INDEX idx_users_telegram_id ON users(telegram_id);
CREATE INDEX idx_subscriptions_user_id ON subscriptions(user_id);
CREATE INDEX idx_subscriptions_status ON subscriptions(status);
CREATE INDEX idx_subscriptions_end_date ON subscriptions(end_date);
CREATE INDEX idx_payments_user_id ON payments(user_id);
CREATE INDEX idx_payments_status ON payments(status);
CREATE INDEX idx_payments_external_id ON payments(external_id);
CREATE INDEX idx_audit_logs_user_id ON audit_logs(user_id);
CREATE INDEX idx_audit_logs_created_at ON audit_logs(created_at);
CREATE INDEX idx_notifications_user_id ON notifications(user_id);
CREATE INDEX idx_notifications_status ON notifications(status);

-- Seed fix: foreign keys the seed leaves unindexed, so deleting a user (ON DELETE CASCADE) or a
-- server does not scan whole tables.
CREATE INDEX idx_users_referrer_id ON users(referrer_id);
CREATE INDEX idx_subscriptions_server_id ON subscriptions(server_id);
CREATE INDEX idx_payments_subscription_id ON payments(subscription_id);

-- Down Migration
DROP TABLE notifications, audit_logs, referrals, payments, subscriptions, vpn_servers,
    subscription_plans, users;
