-- The seed's four RUB plans, applied in production too (`npm run migrate -- --seed`). Re-runnable:
-- each row is inserted only when a row with the same name is absent, so running it again changes
-- nothing. The sample server is development data: sql/seed-dev/. name_en is the English name
-- (migration 0019); a plan that has none gets it.
INSERT INTO subscription_plans (name, name_en, duration_days, price_rub, features)
SELECT v.name, v.name_en, v.duration_days, v.price_rub, v.features::jsonb
FROM (VALUES
    ('1 месяц', '1 month', 30, 249.00, '{"traffic_limit": null, "devices": 5}'),
    ('3 месяца', '3 months', 90, 599.00, '{"traffic_limit": null, "devices": 5, "discount": 20}'),
    ('6 месяцев', '6 months', 180, 1049.00, '{"traffic_limit": null, "devices": 5, "discount": 30}'),
    ('12 месяцев', '12 months', 365, 1999.00, '{"traffic_limit": null, "devices": 5, "discount": 45}')
) AS v(name, name_en, duration_days, price_rub, features)
WHERE NOT EXISTS (SELECT 1 FROM subscription_plans p WHERE p.name = v.name)
-- In the seed's order, so a fresh database numbers the plans 1..4 from the shortest.
ORDER BY v.duration_days;

UPDATE subscription_plans p SET name_en = v.name_en
FROM (VALUES ('1 месяц', '1 month'), ('3 месяца', '3 months'), ('6 месяцев', '6 months'), ('12 месяцев', '12 months')) AS v(name, name_en)
WHERE p.name = v.name AND p.name_en IS NULL;
