-- Telegram updates the bot has taken on (issue 11): Telegram delivers an update again when its
-- offset was not confirmed, which happens after every restart of the bot (the runner confirms an
-- offset only with its next getUpdates) and after a crash or a timeout. The bot claims each update
-- here before handling it (INSERT ... ON CONFLICT DO NOTHING); a second delivery finds the row and
-- is ignored, so a user is never answered twice. Kept in the database, not in process memory,
-- because the redeliveries that matter come after a restart. Rows older than two days are deleted
-- by the bot (Telegram keeps an unconfirmed update for 24 hours at most).

-- Up Migration

CREATE TABLE bot_updates (
    update_id BIGINT PRIMARY KEY,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX bot_updates_received_at ON bot_updates (received_at);

-- Down Migration

DROP TABLE bot_updates;
