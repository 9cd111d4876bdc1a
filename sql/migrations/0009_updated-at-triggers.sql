-- updated_at maintained by the database (the seed declares the columns but nothing keeps them
-- current). A BEFORE UPDATE trigger on every table with updated_at sets it to the transaction's
-- time, so operator SQL and every repository call agree without each remembering to set it.

-- Up Migration

CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER subscriptions_set_updated_at BEFORE UPDATE ON subscriptions
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER payments_set_updated_at BEFORE UPDATE ON payments
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER vpn_servers_set_updated_at BEFORE UPDATE ON vpn_servers
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
CREATE TRIGGER notifications_set_updated_at BEFORE UPDATE ON notifications
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Down Migration
DROP TRIGGER notifications_set_updated_at ON notifications;
DROP TRIGGER vpn_servers_set_updated_at ON vpn_servers;
DROP TRIGGER payments_set_updated_at ON payments;
DROP TRIGGER subscriptions_set_updated_at ON subscriptions;
DROP TRIGGER users_set_updated_at ON users;
DROP FUNCTION set_updated_at();
