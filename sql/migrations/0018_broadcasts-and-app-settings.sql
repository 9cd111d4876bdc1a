-- Operator console (issue 13): broadcasts, users who blocked the bot, and app settings.
--
-- * users.blocked_at: when Telegram last answered 403 for this user (blocked the bot, deleted the
--   account); NULL = reachable as far as we know. Broadcasts skip these users. Whoever sees the
--   user write to the bot again clears it (sql/repositories/broadcast-repository.ts clearUserBlocked).
-- * broadcasts: one operator broadcast. audience is the segment chosen at preview; text is plain
--   (no parse_mode) and lives only here, never in a workflow history. status: running -> completed
--   | cancelled. At most one broadcast runs at a time (broadcasts_one_running), so the throttle of
--   one broadcast is the bot's whole broadcast budget. reported_at: the final report was sent.
-- * broadcast_deliveries: the recipient list, snapshotted when the broadcast starts, one row per
--   (broadcast, user) -- the UNIQUE is what makes "no user messaged twice" a database fact. Status:
--     pending  -> not tried yet (or Telegram said 429: certainly not delivered, back to pending)
--     sending  -> claimed by a sender (committed BEFORE the sendMessage call); a row still 'sending'
--                 after a crash is ambiguous (the message may or may not have left) and is never
--                 sent again: it ends 'unknown'. At-most-once per user, as the issue demands.
--     sent | blocked (403) | failed (other definite refusal) | unknown (ambiguous, not resent)
--   A claim is a conditional UPDATE ... WHERE status = 'pending', so two senders (a worker presumed
--   dead and its replacement) can never claim the same row.
-- * app_settings: small operator-controlled switches as key -> JSON value (maintenance mode for now),
--   with who changed them last.

-- Up Migration

ALTER TABLE users ADD COLUMN blocked_at TIMESTAMPTZ;

CREATE TABLE broadcasts (
    id SERIAL PRIMARY KEY,
    audience TEXT NOT NULL,
    text TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'running',
    created_by_telegram_id BIGINT NOT NULL,
    request_key TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at TIMESTAMPTZ,
    reported_at TIMESTAMPTZ,
    CONSTRAINT broadcasts_audience_known CHECK (audience IN ('all', 'active', 'expired', 'trial_only', 'never_paid')),
    CONSTRAINT broadcasts_status_known CHECK (status IN ('running', 'completed', 'cancelled')),
    CONSTRAINT broadcasts_text_length CHECK (length(text) BETWEEN 1 AND 4096),
    CONSTRAINT broadcasts_finished_set CHECK ((status = 'running') = (finished_at IS NULL)),
    CONSTRAINT broadcasts_request_key_key UNIQUE (request_key)
);

CREATE UNIQUE INDEX broadcasts_one_running ON broadcasts ((true)) WHERE status = 'running';

CREATE TABLE broadcast_deliveries (
    id BIGSERIAL PRIMARY KEY,
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    chat_id BIGINT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    claimed_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    error_code INTEGER,
    CONSTRAINT broadcast_deliveries_once UNIQUE (broadcast_id, user_id),
    CONSTRAINT broadcast_deliveries_status_known CHECK (status IN ('pending', 'sending', 'sent', 'blocked', 'failed', 'unknown')),
    CONSTRAINT broadcast_deliveries_claimed CHECK (status = 'pending' OR claimed_at IS NOT NULL)
);

CREATE INDEX broadcast_deliveries_pending_idx ON broadcast_deliveries (broadcast_id, id) WHERE status = 'pending';

CREATE TABLE app_settings (
    key TEXT PRIMARY KEY,
    value JSONB NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT app_settings_key_format CHECK (key ~ '^[a-z_]{1,64}$')
);

-- Down Migration

DROP TABLE app_settings;
DROP TABLE broadcast_deliveries;
DROP TABLE broadcasts;
ALTER TABLE users DROP COLUMN blocked_at;
