/**
 * The Temporal dev server for the fault test, on fixed ports and a SQLite file, killable with
 * SIGKILL and started again on the same file, so every workflow survives as on a real restart.
 */
import { readFile } from 'node:fs/promises';
import { startTemporalDevServer, type RunningTemporal, type TemporalDevServerOptions } from '../../scripts/stack/temporal-dev-server';
import { isAlive } from './run-marker';

/** A Temporal dev server the test can crash and start again. */
export interface TemporalService {
  readonly address: string;
  readonly pids: readonly number[];
  start(): Promise<void>;
  /** SIGKILL; resolves once it is gone. */
  kill(): Promise<void>;
  /** SIGTERM (SIGKILL after 10 s). */
  stop(): Promise<void>;
}

/** Creates the service; `options.pidFile` and `options.dbFilename` are required. */
export function createTemporalService(options: TemporalDevServerOptions & { pidFile: string; dbFilename: string }): TemporalService {
  let running: RunningTemporal | undefined;
  // Set by stop(): a start still in flight then (a fault's restart racing a Ctrl-C) stops again.
  let closed = false;
  const pids: number[] = [];
  const pidOf = async () => Number((await readFile(options.pidFile, 'utf8')).trim());
  return {
    address: `127.0.0.1:${options.port}`,
    pids,
    async start() {
      if (closed) throw new Error('temporal is closed');
      const started = await startTemporalDevServer(options);
      running = started;
      pids.push(await pidOf());
      if (closed) {
        running = undefined;
        await started.stop();
        throw new Error('temporal was closed while it started');
      }
    },
    async kill() {
      const pid = await pidOf();
      process.kill(pid, 'SIGKILL');
      running = undefined;
      for (let waited = 0; waited < 20_000; waited += 100) {
        if (!(await isAlive(pid))) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`temporal dev server ${pid} survived SIGKILL`);
    },
    async stop() {
      closed = true;
      const current = running;
      running = undefined;
      await current?.stop();
    },
  };
}
