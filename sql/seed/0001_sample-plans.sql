-- The seed's four RUB plans, applied in production too (`npm run migrate -- --seed`). Re-runnable:
-- each row is inserted only when a row with the same name is absent, so running it again changes
-- nothing. The sample server is development data: sql/seed-dev/.
INSERT INTO subscription_plans (name, duration_days, price_rub, features)
SELECT v.name, v.duration_days, v.price_rub, v.features::jsonb
FROM (VALUES
    ('1 месяц', 30, 249.00, '{"traffic_limit": null, "devices": 5}'),
    ('3 месяца', 90, 599.00, '{"traffic_limit": null, "devices": 5, "discount": 20}'),
    ('6 месяцев', 180, 1049.00, '{"traffic_limit": null, "devices": 5, "discount": 30}'),
    ('12 месяцев', 365, 1999.00, '{"traffic_limit": null, "devices": 5, "discount": 45}')
) AS v(name, duration_days, price_rub, features)
WHERE NOT EXISTS (SELECT 1 FROM subscription_plans p WHERE p.name = v.name)
-- In the seed's order, so a fresh database numbers the plans 1..4 from the shortest.
ORDER BY v.duration_days;
