-- Two-phase moves (issue 9, finding 5): a subscription's client is made live on the new server
-- BEFORE its row points there, so a crash at any step leaves the row naming a server whose client
-- works.
-- * subscriptions.move_target_server_id: the server a move in progress is bringing the client to.
--   Set (with one slot taken on that server, vpn_servers.current_users + 1) before the new client is
--   created; cleared in the one transaction that switches server_id to it and gives the old slot
--   back, or when the move is abandoned (its slot given back). While it is set the subscription
--   counts on two servers: server_id (the live client, when server_slot_held) and the target (the
--   client being made). So current_users of a server = subscriptions holding a slot there +
--   subscriptions moving to it (sql/repositories/server-slots-repository.ts keeps both in step).
--   The panel reconciler leaves a client on the target alone while the row names it here: the
--   subscription's workflow is working on it.
-- * CHECK it differs from server_id: a move to the server the client already lives on is no move.
-- * A partial index: "who is moving to this server" must not scan the table (the reconciler and
--   slot accounting ask it), and almost every row has NULL here.

-- Up Migration

ALTER TABLE subscriptions
    ADD COLUMN move_target_server_id INTEGER REFERENCES vpn_servers (id),
    ADD CONSTRAINT subscriptions_move_target_differs CHECK (move_target_server_id IS DISTINCT FROM server_id OR move_target_server_id IS NULL);

CREATE INDEX idx_subscriptions_move_target_server_id ON subscriptions (move_target_server_id) WHERE move_target_server_id IS NOT NULL;

-- Down Migration
-- A reserved move slot would stay counted in current_users without its column: give it back first.
UPDATE vpn_servers v SET current_users = current_users - moving.n
FROM (SELECT move_target_server_id AS id, count(*)::int AS n FROM subscriptions WHERE move_target_server_id IS NOT NULL GROUP BY 1) moving
WHERE v.id = moving.id;
DROP INDEX idx_subscriptions_move_target_server_id;
ALTER TABLE subscriptions
    DROP CONSTRAINT subscriptions_move_target_differs,
    DROP COLUMN move_target_server_id;
