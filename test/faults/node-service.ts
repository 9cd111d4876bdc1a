/**
 * One of the fault test's node processes (worker, api, fakes): started as its own process (own
 * process group, like `npm run dev` does), output appended to a log file, and killable and
 * restartable at will. A crash nobody asked for is restarted after a short pause, as a process
 * supervisor (systemd, Docker's restart policy) would, and counted, so the report shows it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** What {@link createNodeService} needs. */
export interface NodeServiceOptions {
  name: string;
  /** Entry point relative to `cwd`, e.g. 'workers/main.ts'. */
  entry: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Log file the output is appended to. */
  logFile: string;
  /** Pause before restarting a process that died on its own, in milliseconds; default 2000. */
  restartDelayMs?: number;
  /** Told about starts, kills and unplanned exits. */
  log: (line: string) => void;
}

/** A restartable node process. */
export interface NodeService {
  readonly name: string;
  /** Pid of the running process, or undefined. */
  readonly pid: number | undefined;
  /** Every pid it ever had. */
  readonly pids: readonly number[];
  /** Exits nobody asked for (each was followed by a restart unless stopping). */
  readonly unplannedExits: number;
  start(): void;
  /** SIGKILL, no grace; resolves once it has exited. No automatic restart. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. No automatic restart. */
  terminate(graceMs?: number): Promise<void>;
  /** Like terminate, for good: a later start() does nothing (the run is ending). */
  stop(graceMs?: number): Promise<void>;
}

const PRELOAD = fileURLToPath(new URL('../../scripts/stack/exit-with-parent.ts', import.meta.url));

/** Creates the service (not started). */
export function createNodeService(options: NodeServiceOptions): NodeService {
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let wanted = false;
  let unplannedExits = 0;
  const pids: number[] = [];
  let out: WriteStream | undefined;

  let closed = false;

  function start(): void {
    // After stop() (the run is ending), a late restart from a fault must not start it again.
    if (closed) return;
    wanted = true;
    out ??= createWriteStream(options.logFile, { flags: 'a' });
    out.write(`\n==== start ${new Date().toISOString()}\n`);
    const spawned = spawn(process.execPath, ['--import', 'tsx', '--import', PRELOAD, options.entry], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      detached: true,
    });
    spawned.channel?.unref();
    child = spawned;
    if (spawned.pid !== undefined) pids.push(spawned.pid);
    spawned.stdout?.on('data', (chunk: Buffer) => out?.write(chunk));
    spawned.stderr?.on('data', (chunk: Buffer) => out?.write(chunk));
    exited = new Promise((resolve) => {
      spawned.once('exit', (code, signal) => {
        out?.write(`==== exit ${new Date().toISOString()} code=${code} signal=${signal}\n`);
        if (child === spawned) child = undefined;
        resolve();
        if (wanted) {
          unplannedExits += 1;
          options.log(`${options.name} exited on its own (code ${code}, signal ${signal}); restarting it`);
          setTimeout(() => {
            if (wanted && child === undefined) start();
          }, options.restartDelayMs ?? 2_000);
        }
      });
    });
  }

  async function end(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    wanted = false;
    const current = child;
    if (current === undefined || current.exitCode !== null || current.signalCode !== null) return;
    current.kill(signal);
    const killer = setTimeout(() => current.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(killer);
  }

  return {
    name: options.name,
    get pid() {
      return child?.pid;
    },
    pids,
    get unplannedExits() {
      return unplannedExits;
    },
    start,
    kill: () => end('SIGKILL', 0),
    terminate: (graceMs = 15_000) => end('SIGTERM', graceMs),
    async stop(graceMs = 15_000) {
      closed = true;
      await end('SIGTERM', graceMs);
      await new Promise<void>((resolve) => (out === undefined ? resolve() : out.end(resolve)));
      out = undefined;
    },
  };
}
