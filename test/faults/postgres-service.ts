/**
 * Embedded Postgres for the fault test, killable like a crash: SIGKILL to the postmaster and to
 * every backend at once (no shutdown checkpoint), then started again on the same data folder and
 * port, so it runs crash recovery as after a power loss.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startEmbeddedPostgres, type RunningPostgres } from '../../scripts/stack/embedded-postgres';
import { childPids, isAlive } from './run-marker';

/** A Postgres the test can crash and start again. */
export interface PostgresService {
  readonly adminUrl: string;
  urlFor(name: string): string;
  /** Every postmaster pid it had. */
  readonly pids: readonly number[];
  start(): Promise<void>;
  /** SIGKILLs the postmaster and its children; resolves once all are gone. */
  kill(): Promise<void>;
  /** Fast shutdown of the running cluster (no-op when it is down). */
  stop(): Promise<void>;
}

/** Creates the service; `dataDir` must be reachable by the `postgres` user when root. */
export function createPostgresService(options: { dataDir: string; port: number; log: (line: string) => void }): PostgresService {
  let running: RunningPostgres | undefined;
  // Set by stop(): a start still in flight then (a fault's restart racing a Ctrl-C) stops again.
  let closed = false;
  const pids: number[] = [];
  const urlFor = (name: string) => `postgres://postgres:postgres@127.0.0.1:${options.port}/${name}`;

  async function postmasterPid(): Promise<number> {
    const text = await readFile(path.join(options.dataDir, 'pgdata', 'postmaster.pid'), 'utf8');
    const pid = Number(text.split('\n')[0]?.trim());
    if (!Number.isInteger(pid) || pid <= 1) throw new Error('postmaster.pid holds no pid');
    return pid;
  }

  return {
    adminUrl: urlFor('postgres'),
    urlFor,
    pids,
    async start() {
      if (closed) throw new Error('postgres is closed');
      for (let attempt = 1; ; attempt += 1) {
        try {
          running = await startEmbeddedPostgres({ dataDir: options.dataDir, port: options.port, persistent: true });
          break;
        } catch (error) {
          if (attempt >= 3) throw new Error(`postgres did not start: ${error instanceof Error ? error.message : String(error)}`);
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      }
      pids.push(await postmasterPid());
      if (closed) {
        closed = false;
        await this.stop();
        throw new Error('postgres was closed while it started');
      }
    },
    async kill() {
      const pid = await postmasterPid();
      const victims = [pid, ...(await childPids(pid))];
      for (const victim of victims) {
        try {
          process.kill(victim, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      // Its embedded-postgres handle can no longer stop it (it waits for an exit already seen).
      running = undefined;
      for (let waited = 0; waited < 20_000; waited += 100) {
        const alive = await Promise.all(victims.map((victim) => isAlive(victim)));
        if (!alive.some(Boolean)) return;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`postgres processes ${victims.join(', ')} survived SIGKILL`);
    },
    async stop() {
      closed = true;
      const current = running;
      running = undefined;
      if (current === undefined) return;
      const pid = await postmasterPid().catch(() => undefined);
      // A terminal's Ctrl-C reaches Postgres too (same process group) and it may have exited
      // already; embedded-postgres's stop() would then wait for an exit it has already seen.
      if (pid === undefined || !(await isAlive(pid))) return;
      const stopped = current.stop().then(() => true);
      const timedOut = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 20_000).unref());
      if (!(await Promise.race([stopped, timedOut])) && (await isAlive(pid))) process.kill(pid, 'SIGKILL');
    },
  };
}
