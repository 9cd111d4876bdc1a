import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import pg from 'pg';

/** The folder holding re-runnable seed SQL files applied everywhere (the plans), in name order. */
export const SEED_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'seed');
/** Development-only seed files (the sample server `npm run dev` points at its fake panel). */
export const DEV_SEED_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'seed-dev');

/** Options for {@link seedSampleData}. */
export interface SeedOptions {
  /** Also add the sample server (development and tests); default false, as in production. */
  sampleServer?: boolean;
}

/**
 * Applies the sample data: the plans, and with `sampleServer` the sample server. Every seed file
 * is written to be re-runnable: running it twice leaves the same rows, so `npm run dev` can call
 * this on every start.
 *
 * @returns the seed file names applied
 */
export async function seedSampleData(databaseUrl: string, options: SeedOptions = {}): Promise<string[]> {
  const folders = options.sampleServer === true ? [SEED_DIR, DEV_SEED_DIR] : [SEED_DIR];
  const files: string[] = [];
  for (const folder of folders) {
    for (const name of (await readdir(folder)).filter((entry) => entry.endsWith('.sql')).sort()) files.push(path.join(folder, name));
  }
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (const file of files) await client.query(await readFile(file, 'utf8'));
  } finally {
    await client.end();
  }
  return files.map((file) => path.basename(file));
}
