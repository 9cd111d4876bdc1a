-- Additions to vpn_servers the product needs (not in the seed):
-- * Panel secrets encrypted at rest: xui_password_enc (session login) and xui_api_token_enc (3X-UI
--   v3 Bearer token), each an AES-256-GCM box `v1:<iv>:<tag>:<ciphertext>` (base64 parts) made by
--   lib/crypto/secret-box.ts with a key from config, bound to the server id and column as
--   associated data. The database never sees a plaintext secret or the key.
-- * The seed's xui_password column stays (same table shape as the seed) but a CHECK keeps it NULL:
--   a plaintext panel password in the database is what this migration exists to prevent. Nothing is
--   deployed, so there is no content to migrate; an operator importing old data encrypts it with
--   setServerPanelCredentials instead of writing this column.
-- * xui_api_version: 'v2' | 'v3', detected once per panel (3x-ui-versions.md); NULL = not yet.
-- * xui_web_base_path: the panel's configurable web base path ('' = root, else '/seg[/seg...]',
--   no trailing slash), prefixed to every panel route.
-- * xui_inbound_id: the VLESS inbound new clients are added to on this panel.
-- * xui_sub_base_url: the panel's own subscription server (e.g. https://host:2096/sub), optional;
--   our /sub/<token> URL is served by the api and does not depend on it.
-- * Health, written by the panel health probe schedule: status 'up' | 'down', last_seen_at (last
--   successful probe), down_since (set when it went down, NULL while up; a CHECK keeps the pair
--   consistent so failover can trust "down for longer than X"), last_health_error (short reason, no
--   secrets). New servers start 'up' so a freshly added server can be used before the first probe.
-- * updated_at, as the other mutable tables have.

-- Up Migration

ALTER TABLE vpn_servers
    ADD COLUMN xui_password_enc TEXT,
    ADD COLUMN xui_api_token_enc TEXT,
    ADD COLUMN xui_api_version VARCHAR(4),
    ADD COLUMN xui_web_base_path VARCHAR(255) NOT NULL DEFAULT '',
    ADD COLUMN xui_inbound_id INTEGER,
    ADD COLUMN xui_sub_base_url VARCHAR(255),
    ADD COLUMN status VARCHAR(8) NOT NULL DEFAULT 'up',
    ADD COLUMN last_seen_at TIMESTAMPTZ,
    ADD COLUMN down_since TIMESTAMPTZ,
    ADD COLUMN last_health_error VARCHAR(500),
    ADD COLUMN updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    ADD CONSTRAINT vpn_servers_no_plaintext_password CHECK (xui_password IS NULL),
    ADD CONSTRAINT vpn_servers_password_enc_format CHECK (xui_password_enc ~ '^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]*$'),
    ADD CONSTRAINT vpn_servers_api_token_enc_format CHECK (xui_api_token_enc ~ '^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]*$'),
    ADD CONSTRAINT vpn_servers_api_version_known CHECK (xui_api_version IN ('v2', 'v3')),
    ADD CONSTRAINT vpn_servers_web_base_path_format CHECK (xui_web_base_path ~ '^(/[^/[:space:]]+)*$'),
    ADD CONSTRAINT vpn_servers_inbound_id_positive CHECK (xui_inbound_id > 0),
    ADD CONSTRAINT vpn_servers_status_known CHECK (status IN ('up', 'down')),
    ADD CONSTRAINT vpn_servers_down_since_set CHECK ((status = 'down') = (down_since IS NOT NULL));

-- Down Migration
ALTER TABLE vpn_servers
    DROP CONSTRAINT vpn_servers_down_since_set,
    DROP CONSTRAINT vpn_servers_status_known,
    DROP CONSTRAINT vpn_servers_inbound_id_positive,
    DROP CONSTRAINT vpn_servers_web_base_path_format,
    DROP CONSTRAINT vpn_servers_api_version_known,
    DROP CONSTRAINT vpn_servers_api_token_enc_format,
    DROP CONSTRAINT vpn_servers_password_enc_format,
    DROP CONSTRAINT vpn_servers_no_plaintext_password,
    DROP COLUMN updated_at,
    DROP COLUMN last_health_error,
    DROP COLUMN down_since,
    DROP COLUMN last_seen_at,
    DROP COLUMN status,
    DROP COLUMN xui_sub_base_url,
    DROP COLUMN xui_inbound_id,
    DROP COLUMN xui_web_base_path,
    DROP COLUMN xui_api_version,
    DROP COLUMN xui_api_token_enc,
    DROP COLUMN xui_password_enc;
