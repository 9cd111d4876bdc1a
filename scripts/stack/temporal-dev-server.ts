import { spawn, type ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { writePidFile } from './stale-process';

/** A running Temporal CLI dev server. */
export interface RunningTemporal {
  /** gRPC frontend `host:port`. */
  address: string;
  /** Web UI URL, or undefined when headless. */
  uiUrl: string | undefined;
  /** Stops the server: SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/**
 * Write-ahead log with `synchronous=normal`: one sequential append per commit instead of the
 * rollback journal's two fsyncs. A killed server loses nothing (the log is replayed on open); a
 * power cut may lose the last commits, never the file. For the dev server's SQLite file only:
 * production runs Temporal on its own database (docker-compose).
 */
export const WAL_SQLITE_PRAGMAS: Readonly<Record<string, string>> = { journal_mode: 'wal', synchronous: 'normal' };

/** Options for {@link startTemporalDevServer}. */
export interface TemporalDevServerOptions {
  /** Path of the `temporal` CLI executable. */
  binary: string;
  port: number;
  /** Web UI port; omit for a headless server. */
  uiPort?: number;
  /**
   * HTTP API and metrics ports. Left unset, the CLI picks random free ports, which can be a
   * port the caller has just chosen for another of its servers (the kernel hands recently
   * freed ports out again); pass them to keep every port under the caller's control.
   */
  httpPort?: number;
  metricsPort?: number;
  /** SQLite file that keeps workflows across restarts; omit for in-memory. */
  dbFilename?: string;
  /** SQLite pragmas for the file (`--sqlite-pragma NAME=VALUE`), e.g. {@link WAL_SQLITE_PRAGMAS}. */
  sqlitePragmas?: Record<string, string>;
  namespace?: string;
  /** Dynamic config values (`--dynamic-config-value KEY=JSON`), e.g. system.enableActivityEagerExecution: true. */
  dynamicConfig?: Record<string, boolean | number | string>;
  /** Custom search attributes to register at launch, name to CLI type (Keyword, Datetime, ...). */
  searchAttributes?: Record<string, string>;
  /** File to record the server's pid in (dev), so a later start can reclaim a stale server. */
  pidFile?: string;
  /** How long to wait for the frontend to answer; default 60 s. */
  startTimeoutMs?: number;
  onLog?: (line: string) => void;
}

/**
 * Starts `temporal server start-dev` bound to 127.0.0.1 and resolves once its frontend answers
 * `GetSystemInfo`, so callers can connect straight away.
 *
 * @throws Error when the process exits early or does not answer in time
 */
export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<RunningTemporal> {
  const namespace = options.namespace ?? 'default';
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(options.port), '--log-level', 'warn'];
  if (namespace !== 'default') args.push('--namespace', namespace);
  if (options.uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort));
  if (options.dbFilename !== undefined) args.push('--db-filename', options.dbFilename);
  for (const [name, value] of Object.entries(options.sqlitePragmas ?? {})) args.push('--sqlite-pragma', `${name}=${value}`);
  if (options.httpPort !== undefined) args.push('--http-port', String(options.httpPort));
  if (options.metricsPort !== undefined) args.push('--metrics-port', String(options.metricsPort));
  for (const [key, value] of Object.entries(options.dynamicConfig ?? {})) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }
  for (const [name, type] of Object.entries(options.searchAttributes ?? {})) {
    args.push('--search-attribute', `${name}=${type}`);
  }
  // Own process group, so a terminal's Ctrl-C does not stop it before the worker has drained.
  const child = spawn(options.binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const log = options.onLog ?? (() => undefined);
  let output = '';
  const collect = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output = (output + text).slice(-4000);
    for (const line of text.split('\n')) if (line.trim() !== '') log(line);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const removePidFile =
    options.pidFile !== undefined && child.pid !== undefined ? await writePidFile(options.pidFile, child.pid) : async () => undefined;

  const address = `127.0.0.1:${options.port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  let ready = false;
  while (!ready && Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`temporal dev server exited with code ${child.exitCode}: ${output.trim().slice(-1000)}`);
    }
    ready = await answers(address);
    if (!ready) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (!ready) {
    await stopChild(child, exited);
    throw new Error(`temporal dev server did not answer on ${address} in time: ${output.trim().slice(-1000)}`);
  }
  return {
    address,
    uiUrl: options.uiPort === undefined ? undefined : `http://127.0.0.1:${options.uiPort}`,
    stop: async () => {
      await stopChild(child, exited);
      await removePidFile();
    },
  };
}

async function answers(address: string): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: 1000 });
    await connection.workflowService.getSystemInfo({});
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(killer);
}
