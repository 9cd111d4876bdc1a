-- Real 3X-UI panels (issue 12): self-signed HTTPS panels, and upload and download kept apart.
-- * vpn_servers.xui_tls_ca_pem: PEM certificate(s) of the CA that signed the panel's HTTPS
--   certificate (a private CA); the panel client trusts it instead of the system CAs. Not secret.
-- * vpn_servers.xui_tls_pin_sha256: SHA-256 fingerprint of the panel's own certificate, 64 hex
--   digits (colons removed, upper case); when set, that certificate and no other is accepted,
--   whoever signed it. Checked by a CHECK, so a typo is refused, not silently ignored.
-- * subscriptions.traffic_up / traffic_down: the panel's upload and download counters (bytes) as
--   last synced. traffic_used stays their sum (what quotas and reports read); the subscription
--   feed's `subscription-userinfo` header reports upload and download apart from these. Existing
--   rows start at 0/0 until the next traffic sync (before 0016 only the sum was kept).

-- Up Migration

ALTER TABLE vpn_servers
    ADD COLUMN xui_tls_ca_pem TEXT,
    ADD COLUMN xui_tls_pin_sha256 TEXT,
    ADD CONSTRAINT vpn_servers_xui_tls_pin_sha256_hex CHECK (xui_tls_pin_sha256 ~ '^[0-9A-F]{64}$');

ALTER TABLE subscriptions
    ADD COLUMN traffic_up BIGINT NOT NULL DEFAULT 0 CHECK (traffic_up >= 0),
    ADD COLUMN traffic_down BIGINT NOT NULL DEFAULT 0 CHECK (traffic_down >= 0);

-- Down Migration
ALTER TABLE subscriptions
    DROP COLUMN traffic_down,
    DROP COLUMN traffic_up;
ALTER TABLE vpn_servers
    DROP CONSTRAINT vpn_servers_xui_tls_pin_sha256_hex,
    DROP COLUMN xui_tls_pin_sha256,
    DROP COLUMN xui_tls_ca_pem;
