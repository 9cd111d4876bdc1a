/**
 * `npm run restore -- FILE --yes`: restores a backup made by the database-backup Schedule (a
 * pg_dump custom-format file) into DATABASE_URL with pg_restore --clean --if-exists in one
 * transaction: every table, sequence and function in the dump is dropped and recreated with the
 * dump's rows. Stop the worker, api and bot first. Without --yes it only says what it would do.
 *
 * Environment: DATABASE_URL (required), PG_BIN_DIR (optional; see lib/db/pg-tools.ts).
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { databaseUrl, pgBinDir } from '../lib/config/fields';
import { parseConfig } from '../lib/config/parse-config';
import { listDump, splitPassword } from '../lib/db/pg-tools';
import { restoreBackup } from '../usecases/backups';

const args = process.argv.slice(2);
const file = args.find((arg) => !arg.startsWith('--'));
if (file === undefined || args.includes('--help')) {
  console.error('usage: npm run restore -- FILE --yes   (restores FILE into DATABASE_URL, replacing what the dump holds)');
  process.exit(2);
}
if (!existsSync(file)) {
  console.error(`restore: ${file} does not exist`);
  process.exit(2);
}
const config = parseConfig(z.object({ DATABASE_URL: databaseUrl, PG_BIN_DIR: pgBinDir }), process.env);
const target = splitPassword(config.DATABASE_URL).url;
if (!args.includes('--yes')) {
  const contents = await listDump({ file, ...(config.PG_BIN_DIR === undefined ? {} : { pgBinDir: config.PG_BIN_DIR }) });
  console.error(
    `restore: refusing without --yes. ${file} (made ${contents.createdAt ?? '?'} from ${contents.databaseName ?? '?'}, ${contents.tables.length} tables) ` +
      `would REPLACE those tables in ${target}. Stop the worker, api and bot, then run: npm run restore -- ${file} --yes`,
  );
  process.exit(1);
}
const report = await restoreBackup({ databaseUrl: config.DATABASE_URL, file, pgBinDir: config.PG_BIN_DIR });
console.log(
  `restored ${report.file} (made ${report.contents.createdAt ?? '?'} from ${report.contents.databaseName ?? '?'}) into ${target}`,
);
for (const [table, rows] of Object.entries(report.rowCounts)) console.log(`  ${table}: ${rows} rows`);
