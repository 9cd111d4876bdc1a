-- Re-opening servers once they are healthy again (issue 12), after a failover or an operator
-- closed them.
-- * up_since: when the health probe last saw the panel come up (NULL while down or never probed
--   up). The probe now visits closed servers too, so "healthy for X" is measured from here:
--   `npm run servers -- reopen` and the optional automatic re-opening (PANEL_AUTO_REOPEN) open a
--   server only after it stayed up for PANEL_REOPEN_AFTER_SECONDS.
-- * closed_reason: why a closed server (is_active false) is closed: 'failover' (the failover
--   closed it; automatic re-opening may open it) or 'operator' (a human closed it; only a human
--   opens it). NULL on an open server. Rows closed before this migration are 'failover' when the
--   last `server.deactivated` audit row says so, else 'operator'. No CHECK ties it to is_active:
--   code and tests that close servers with plain SQL leave it NULL, which re-opening treats like
--   'operator' (never opened automatically).
-- * The seed's sample server ('Server-1', endpoint your-domain.com:443, no panel) was once seeded
--   everywhere and took real orders in production that then retried for hours. Production now
--   seeds plans only (sql/seed-dev/ holds the sample server for `npm run dev` and the tests, seeded
--   after the migrations); a database that already has that exact row from before gets it closed
--   here (closed_reason 'operator'). A row with a panel URL is an operator's own and is left alone.

-- Up Migration

ALTER TABLE vpn_servers
    ADD COLUMN up_since TIMESTAMPTZ,
    ADD COLUMN closed_reason VARCHAR(16),
    ADD CONSTRAINT vpn_servers_closed_reason_known CHECK (closed_reason IN ('failover', 'operator'));

UPDATE vpn_servers SET up_since = coalesce(last_seen_at, created_at) WHERE status = 'up';

UPDATE vpn_servers v SET closed_reason = CASE
        WHEN (SELECT a.details ->> 'reason' FROM audit_logs a
              WHERE a.entity_type = 'vpn_server' AND a.entity_id = v.id AND a.action = 'server.deactivated'
              ORDER BY a.id DESC LIMIT 1) = 'failover' THEN 'failover'
        ELSE 'operator' END
WHERE NOT v.is_active;

UPDATE vpn_servers SET is_active = false, closed_reason = 'operator'
WHERE name = 'Server-1' AND endpoint = 'your-domain.com:443' AND coalesce(xui_panel_url, '') = '' AND is_active;

-- Down Migration
ALTER TABLE vpn_servers
    DROP CONSTRAINT vpn_servers_closed_reason_known,
    DROP COLUMN closed_reason,
    DROP COLUMN up_since;
