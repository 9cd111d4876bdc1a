-- The webhook inbox, second pass (issue 9, finding 8): a delivery that proved nothing no longer
-- blocks the genuine one, and a body Postgres cannot hold as text or jsonb is still stored.
--
-- webhook_events.status now says what a delivery achieved ('processed' is retired):
-- * received: stored, not acted on yet.
-- * handed_off: the payment's workflow was signalled. That proves nothing by itself (the workflow
--   re-asks the provider, which may still say pending; a verified copy may be early or spoofed),
--   so a later delivery of the same key is processed again.
-- * settled: when a delivery was processed, the payment it names had already reached the end this
--   event can lead to (completed or refunded; cancelled or failed for a cancellation). Repeats are
--   cheap no-ops that only count.
-- * ignored: names no payment of ours, or a kind we do not act on. A repeat is looked at again
--   (one lookup), so a verified copy with a wrong order id cannot shadow the genuine event.
-- * failed: the hand-off failed (database or Temporal down); a repeat is processed again.
-- Existing 'processed' rows become 'settled' when their payment is completed or refunded and
-- 'handed_off' otherwise. processed_at is when a delivery was last handed off, settled or ignored
-- (NULL while received or failed).
--
-- New columns of webhook_events:
-- * raw_bytes BYTEA: the exact bytes received (signatures cover them); NULL on rows from before
--   0015. raw_body stays the readable text and payload the parsed JSON, but with NUL and lone UTF-16
--   surrogates escaped as \u0000 / \udXXX (text and jsonb cannot hold them; before 0015 such a
--   body made every insert fail and every redelivery get 503). payload is NULL when the body is not
--   JSON or nests deeper than Postgres parses.
-- * sanitized: true when raw_body, payload, headers or event_key had to be escaped (or payload
--   dropped); raw_bytes is then the only exact copy. An event key that needed escaping or is longer
--   than 255 characters is stored as 'sha256:<hex>' of its escaped form.
-- * deliveries / last_delivered_at: how many verified deliveries carried this key, the latest when.
--
-- webhook_event_deliveries: each later verified delivery of a key that was not settled yet, as
-- received (raw_bytes, escaped raw_body, headers minus secrets), so when a spoofed or early copy came
-- first, the genuine one is kept too. The first delivery stays on webhook_events; repeats of a
-- settled event are only counted. Deleted with its event.

-- Up Migration

ALTER TABLE webhook_events
    DROP CONSTRAINT webhook_events_status_known,
    DROP CONSTRAINT webhook_events_processed_at_set,
    ADD COLUMN raw_bytes BYTEA,
    ADD COLUMN sanitized BOOLEAN NOT NULL DEFAULT false,
    ADD COLUMN deliveries INTEGER NOT NULL DEFAULT 1,
    ADD COLUMN last_delivered_at TIMESTAMPTZ NOT NULL DEFAULT now();

UPDATE webhook_events e
SET status = CASE
    WHEN EXISTS (SELECT 1 FROM payments p WHERE p.id = e.payment_id AND p.status IN ('completed', 'refunded')) THEN 'settled'
    ELSE 'handed_off'
END
WHERE e.status = 'processed';
UPDATE webhook_events SET last_delivered_at = received_at;

ALTER TABLE webhook_events
    ADD CONSTRAINT webhook_events_status_known CHECK (status IN ('received', 'handed_off', 'settled', 'ignored', 'failed')),
    ADD CONSTRAINT webhook_events_processed_at_set CHECK ((status IN ('handed_off', 'settled', 'ignored')) = (processed_at IS NOT NULL)),
    ADD CONSTRAINT webhook_events_deliveries_positive CHECK (deliveries >= 1);

CREATE TABLE webhook_event_deliveries (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_event_id BIGINT NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    raw_bytes BYTEA NOT NULL,
    raw_body TEXT NOT NULL,
    headers JSONB NOT NULL DEFAULT '{}'::jsonb,
    sanitized BOOLEAN NOT NULL DEFAULT false,
    CONSTRAINT webhook_event_deliveries_headers_object CHECK (jsonb_typeof(headers) = 'object'),
    CONSTRAINT webhook_event_deliveries_headers_no_secrets CHECK (NOT headers ?| ARRAY[
        'authorization', 'proxy-authorization', 'cookie', 'set-cookie',
        'x-telegram-bot-api-secret-token', 'crypto-pay-api-token'
    ])
);
CREATE INDEX idx_webhook_event_deliveries_event ON webhook_event_deliveries(webhook_event_id);

-- Down Migration
DROP TABLE webhook_event_deliveries;
ALTER TABLE webhook_events
    DROP CONSTRAINT webhook_events_deliveries_positive,
    DROP CONSTRAINT webhook_events_processed_at_set,
    DROP CONSTRAINT webhook_events_status_known;
UPDATE webhook_events SET status = 'processed' WHERE status IN ('handed_off', 'settled');
ALTER TABLE webhook_events
    DROP COLUMN last_delivered_at,
    DROP COLUMN deliveries,
    DROP COLUMN sanitized,
    DROP COLUMN raw_bytes,
    ADD CONSTRAINT webhook_events_status_known CHECK (status IN ('received', 'processed', 'ignored', 'failed')),
    ADD CONSTRAINT webhook_events_processed_at_set CHECK ((status IN ('processed', 'ignored')) = (processed_at IS NOT NULL));
