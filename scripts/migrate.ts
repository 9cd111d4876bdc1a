/**
 * `npm run migrate`: applies pending migrations to DATABASE_URL; `--seed` also applies the
 * re-runnable plans, `--sample-server` the development sample server as well.
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
if (process.argv.includes('--seed') || process.argv.includes('--sample-server')) {
  const files = await seedSampleData(config.DATABASE_URL, { sampleServer: process.argv.includes('--sample-server') });
  console.log(`sample data applied: ${files.join(', ')}`);
}
