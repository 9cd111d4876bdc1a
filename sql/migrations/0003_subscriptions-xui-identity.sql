-- Additions to subscriptions the product needs (not in the seed):
-- * status 'pending': the row exists (its id names the Temporal workflow `subscription-{id}`)
--   before it is paid for and provisioned. Pending is the default now (seed: 'active'), so a row
--   inserted without thought never grants access. A pending row may have no period yet (nor a row
--   cancelled before it was ever paid), so start_date/end_date become nullable, and a CHECK keeps
--   them NOT NULL for active and expired rows, which always had a period.
-- * The 3X-UI client identity, derived from the subscription id by the provisioning activity so
--   that creating the panel client is idempotent: xui_client_uuid (the VLESS id), xui_email (unique
--   across a panel, so unique here too), xui_sub_id (the panel's subscription id), xui_inbound_id
--   (the inbound the client lives in on server_id's panel).
-- * sub_token: the unguessable token of the subscription URL `/sub/<token>` the api serves; 32
--   random bytes from two gen_random_uuid() calls (244 random bits), base64url, filled on insert.
--   It names the subscription, not a server, so a move or failover never changes it.
-- * server_slot_held: whether this subscription currently counts in vpn_servers.current_users of
--   server_id. Claiming and releasing a slot flip it in the same transaction that moves the counter
--   (sql/repositories/server-slots-repository.ts), which makes both calls idempotent, and lets
--   server_id keep naming the server an expired subscription lived on (a payment within the grace
--   window re-enables the same key there when it has room).

-- Up Migration

CREATE FUNCTION new_sub_token() RETURNS text
LANGUAGE sql VOLATILE AS $$
    SELECT translate(rtrim(encode(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()), 'base64'), '='), '+/', '-_')
$$;

ALTER TABLE subscriptions
    DROP CONSTRAINT subscriptions_status_known,
    ADD CONSTRAINT subscriptions_status_known CHECK (status IN ('pending', 'active', 'expired', 'cancelled')),
    ALTER COLUMN status SET DEFAULT 'pending',
    ALTER COLUMN start_date DROP NOT NULL,
    ALTER COLUMN end_date DROP NOT NULL,
    ADD CONSTRAINT subscriptions_period_set CHECK (status IN ('pending', 'cancelled') OR (start_date IS NOT NULL AND end_date IS NOT NULL)),
    ADD COLUMN xui_client_uuid UUID,
    ADD COLUMN xui_email VARCHAR(255),
    ADD COLUMN xui_sub_id VARCHAR(64),
    ADD COLUMN xui_inbound_id INTEGER,
    ADD COLUMN sub_token VARCHAR(64) NOT NULL DEFAULT new_sub_token(),
    ADD COLUMN server_slot_held BOOLEAN NOT NULL DEFAULT false,
    ADD CONSTRAINT subscriptions_xui_client_uuid_key UNIQUE (xui_client_uuid),
    ADD CONSTRAINT subscriptions_xui_email_key UNIQUE (xui_email),
    ADD CONSTRAINT subscriptions_xui_sub_id_key UNIQUE (xui_sub_id),
    ADD CONSTRAINT subscriptions_sub_token_key UNIQUE (sub_token),
    ADD CONSTRAINT subscriptions_sub_token_length CHECK (length(sub_token) >= 32),
    ADD CONSTRAINT subscriptions_slot_has_server CHECK (NOT server_slot_held OR server_id IS NOT NULL);

-- Down Migration
-- Pending rows cannot exist under the seed's rules; dropping them is the only faithful down step.
DELETE FROM subscriptions WHERE status = 'pending' OR start_date IS NULL OR end_date IS NULL;
ALTER TABLE subscriptions
    DROP CONSTRAINT subscriptions_slot_has_server,
    DROP CONSTRAINT subscriptions_sub_token_length,
    DROP COLUMN server_slot_held,
    DROP COLUMN sub_token,
    DROP COLUMN xui_inbound_id,
    DROP COLUMN xui_sub_id,
    DROP COLUMN xui_email,
    DROP COLUMN xui_client_uuid,
    DROP CONSTRAINT subscriptions_period_set,
    DROP CONSTRAINT subscriptions_status_known,
    ADD CONSTRAINT subscriptions_status_known CHECK (status IN ('active', 'expired', 'cancelled')),
    ALTER COLUMN status SET DEFAULT 'active',
    ALTER COLUMN start_date SET NOT NULL,
    ALTER COLUMN end_date SET NOT NULL;
DROP FUNCTION new_sub_token();
