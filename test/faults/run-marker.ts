/**
 * Every process the fault test starts inherits FAULT_RUN_ID in its environment (Postgres and its
 * backends, the Temporal dev server, every node child), so "nothing left behind" is checked by
 * looking for that marker in /proc, not by trusting our own list of pids.
 */
import { readdir, readFile } from 'node:fs/promises';

/** Name of the environment variable that marks this run's processes. */
export const RUN_MARKER = 'FAULT_RUN_ID';

/** A live process carrying the marker. */
export interface MarkedProcess {
  pid: number;
  command: string;
}

/** Processes (other than this one) whose environment holds `FAULT_RUN_ID=<runId>`. */
export async function markedProcesses(runId: string): Promise<MarkedProcess[]> {
  const needle = `${RUN_MARKER}=${runId}`;
  const found: MarkedProcess[] = [];
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const environ = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
      if (!environ.includes(needle)) continue;
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
