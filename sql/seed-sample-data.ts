import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import pg from 'pg';

/** The folder holding re-runnable seed SQL files, applied in name order. */
export const SEED_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'seed');

/**
 * Applies the sample data (plans, sample server). Every seed file is written to be re-runnable:
 * running it twice leaves the same rows, so `npm run dev` can call this on every start.
 *
 * @returns the seed file names applied
 */
export async function seedSampleData(databaseUrl: string): Promise<string[]> {
  const files = (await readdir(SEED_DIR)).filter((name) => name.endsWith('.sql')).sort();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (const file of files) {
      await client.query(await readFile(path.join(SEED_DIR, file), 'utf8'));
    }
  } finally {
    await client.end();
  }
  return files;
}
