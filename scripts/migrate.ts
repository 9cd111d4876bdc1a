/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL; `--seed` also applies the
 * re-runnable sample data (plans and the sample server).
 */
import { z } from 'zod';
import { databaseUrl } from '../lib/config/fields';
import { parseConfig } from '../lib/config/parse-config';
import { migrateUp } from '../sql/migrate-up';
import { seedSampleData } from '../sql/seed-sample-data';
import { requireNode24 } from './stack/require-node';

requireNode24();
const config = parseConfig(z.object({ DATABASE_URL: databaseUrl }), process.env);
const applied = await migrateUp(config.DATABASE_URL);
console.log(applied.length === 0 ? 'migrations: up to date' : `migrations applied: ${applied.join(', ')}`);
if (process.argv.includes('--seed')) {
  const files = await seedSampleData(config.DATABASE_URL);
  console.log(`sample data applied: ${files.join(', ')}`);
}
