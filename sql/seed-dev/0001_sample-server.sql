-- Development only (`npm run dev`, the tests): the seed's sample server, which `npm run dev` points at
-- its fake 3X-UI panel. Production never gets it: operators add their own panels. Re-runnable.
INSERT INTO vpn_servers (name, location, endpoint, is_active)
SELECT 'Server-1', 'Netherlands', 'your-domain.com:443', true
WHERE NOT EXISTS (SELECT 1 FROM vpn_servers WHERE name = 'Server-1');
