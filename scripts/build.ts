/**
 * `npm run build`: the production build the Docker image runs. Each process entry point becomes
 * one ES module in `dist/` (esbuild; npm packages stay external, installed with
 * `npm ci --omit=dev`), the workflow code is bundled once here (`bundleWorkflowCode`) into
 * `dist/workflow-bundle.js`, which the worker loads instead of bundling at every start, and the
 * SQL the migrate script applies is copied beside it (production seeds plans only: no seed-dev).
 *
 * Usage: node --import tsx scripts/build.ts [--outdir dist]
 */
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { build } from 'esbuild';
import { WORKFLOWS_PATH } from '../workers/create-worker';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Output name (dist/<name>.js) to source entry point. */
export const ENTRY_POINTS = {
  worker: 'workers/main.ts',
  api: 'api/main.ts',
  bot: 'bot/main.ts',
  migrate: 'scripts/migrate.ts',
  'register-search-attributes': 'scripts/register-search-attributes.ts',
  'db-init': 'scripts/db-init.ts',
  'add-panel': 'scripts/add-panel.ts',
  restore: 'scripts/restore.ts',
  servers: 'scripts/servers.ts',
  'import-panel': 'scripts/import-panel.ts',
} as const;

/** File name of the prebuilt workflow bundle in the output folder. */
export const WORKFLOW_BUNDLE_FILE = 'workflow-bundle.js';

/** Builds into `outdir`; returns the npm packages the output imports at run time. */
export async function buildProduction(outdir: string): Promise<string[]> {
  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(Object.entries(ENTRY_POINTS).map(([name, entry]) => [name, path.join(root, entry)])),
    outdir,
    bundle: true,
    packages: 'external',
    platform: 'node',
    target: 'node24',
    format: 'esm',
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
  });
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH });
  await writeFile(path.join(outdir, WORKFLOW_BUNDLE_FILE), code);
  // Beside the entry points: sql/migrate-up.ts and sql/seed-sample-data.ts look next to themselves.
  await cp(path.join(root, 'sql', 'migrations'), path.join(outdir, 'migrations'), { recursive: true });
  await cp(path.join(root, 'sql', 'seed'), path.join(outdir, 'seed'), { recursive: true });
  const packages = new Set<string>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const imported of output.imports) {
      if (!imported.external || imported.path.startsWith('node:')) continue;
      const parts = imported.path.split('/');
      packages.add(imported.path.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? imported.path));
    }
  }
  return [...packages].sort();
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const flag = process.argv.indexOf('--outdir');
  const outdir = path.resolve(flag >= 0 ? (process.argv[flag + 1] ?? 'dist') : path.join(root, 'dist'));
  const started = Date.now();
  const packages = await buildProduction(outdir);
  console.log(`built ${outdir} in ${((Date.now() - started) / 1000).toFixed(1)} s; run-time packages: ${packages.join(', ')}`);
}
