-- The webhook inbox (not in the seed): every provider event is stored raw before anything acts on
-- it, so the api can answer 2xx fast, a replay or duplicate delivery is a no-op, and a failure can
-- be investigated and reprocessed from what the provider actually sent.
-- * UNIQUE (provider, event_key): the provider's dedupe key (YooKassa object.id + ':' + event,
--   Crypto Pay invoice_id, Stars telegram_payment_charge_id, ...; see reference/payments.md).
-- * raw_body: the exact bytes as text (signatures are computed over them); payload: the parsed JSON
--   (NULL when the body was not JSON).
-- * headers: request headers minus secrets. The repository strips them; the CHECK is the backstop
--   for the header names known to carry credentials.
-- * status received -> processed | ignored | failed; processed_at is set exactly when it was
--   settled (processed or ignored); error is a short reason, never a secret.
-- * payment_id: the payment the event concerns, once known.

-- Up Migration

CREATE TABLE webhook_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider VARCHAR(32) NOT NULL,
    event_key VARCHAR(255) NOT NULL,
    payload JSONB,
    raw_body TEXT NOT NULL,
    headers JSONB NOT NULL DEFAULT '{}'::jsonb,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    processed_at TIMESTAMPTZ,
    status VARCHAR(16) NOT NULL DEFAULT 'received',
    error TEXT,
    payment_id INTEGER REFERENCES payments(id) ON DELETE SET NULL,
    CONSTRAINT webhook_events_provider_event_key_key UNIQUE (provider, event_key),
    CONSTRAINT webhook_events_provider_format CHECK (provider ~ '^[a-z][a-z0-9_]{1,31}$'),
    CONSTRAINT webhook_events_event_key_not_empty CHECK (event_key <> ''),
    CONSTRAINT webhook_events_status_known CHECK (status IN ('received', 'processed', 'ignored', 'failed')),
    CONSTRAINT webhook_events_processed_at_set CHECK ((status IN ('processed', 'ignored')) = (processed_at IS NOT NULL)),
    CONSTRAINT webhook_events_headers_object CHECK (jsonb_typeof(headers) = 'object'),
    CONSTRAINT webhook_events_headers_no_secrets CHECK (NOT headers ?| ARRAY[
        'authorization', 'proxy-authorization', 'cookie', 'set-cookie',
        'x-telegram-bot-api-secret-token', 'crypto-pay-api-token'
    ])
);

-- Unsettled events, oldest first, for the reprocessing job.
CREATE INDEX idx_webhook_events_unsettled ON webhook_events(received_at) WHERE status IN ('received', 'failed');
CREATE INDEX idx_webhook_events_payment_id ON webhook_events(payment_id);

-- Down Migration
DROP TABLE webhook_events;
