/**
 * Every process the fault test starts inherits FAULT_RUN_ID in its environment (Postgres and its
 * backends, the Temporal dev server, every node child), so "nothing left behind" is checked by
 * looking for that marker in /proc, not by trusting our own list of pids.
 */
import { readdir, readFile } from 'node:fs/promises';

/** Name of the environment variable that marks this run's processes. */
export const RUN_MARKER = 'FAULT_RUN_ID';
/** Names the pid of the harness that started the process. */
export const HARNESS_MARKER = 'FAULT_HARNESS_PID';

/** A live process carrying the marker. */
export interface MarkedProcess {
  pid: number;
  command: string;
}

/**
 * Processes (other than this one) of run `runId`, or, with `orphansOnly`, of any run whose
 * harness (FAULT_HARNESS_PID) is no longer alive.
 */
export async function markedProcesses(filter: { runId: string } | { orphansOnly: true }): Promise<MarkedProcess[]> {
  const found: MarkedProcess[] = [];
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const environ = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
      if ('runId' in filter) {
        if (!environ.includes(`${RUN_MARKER}=${filter.runId}`)) continue;
      } else {
        const harness = Number(environ.find((line) => line.startsWith(`${HARNESS_MARKER}=`))?.slice(HARNESS_MARKER.length + 1));
        if (!Number.isInteger(harness) || harness === process.pid || (await isAlive(harness))) continue;
      }
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      // A zombie (state Z) has already exited; its parent just has not reaped it yet.
      if (/\) Z /.test(stat)) continue;
      const command = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ').trim().slice(0, 160);
      found.push({ pid, command });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** Pids of the direct children of `parentPid` (from /proc/<pid>/stat). */
export async function childPids(parentPid: number): Promise<number[]> {
  const children: number[] = [];
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === parentPid) children.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/** True while /proc/<pid> exists and is not a zombie. */
export async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat);
  } catch {
    return false;
  }
}

/**
 * SIGKILLs what an earlier run left when its harness was killed hard (SIGKILL gives it no chance
 * to stop its children; the Temporal dev server runs in its own process group). Only processes
 * whose harness is gone are touched, so a concurrent run is safe.
 */
export async function stopOrphans(): Promise<MarkedProcess[]> {
  const orphans = await markedProcesses({ orphansOnly: true });
  for (const orphan of orphans) {
    try {
      process.kill(orphan.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  return orphans;
}
