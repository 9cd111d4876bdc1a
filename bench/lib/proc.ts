/**
 * Reading other processes from /proc (Linux): CPU seconds used (utime + stime), resident memory,
 * and finding the Temporal dev server by its port. Benches sample before and after a step.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** CPU seconds (user + system) `pid` has used so far; null when it is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, i.e. 11 and 12 after ')'.
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return null;
  }
}

/** Resident set size of `pid` in MiB; null when it is gone. */
export function rssMiB(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? null : Number(match[1]) / 1024;
  } catch {
    return null;
  }
}

/** The pid of the process whose command line holds every one of `parts`, or undefined. */
export function findPid(parts: readonly string[]): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (parts.every((part) => args.includes(part))) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

/** Parent pid and own + reaped children's CPU ticks of every process, from one /proc scan. */
function processTable(): Map<number, { ppid: number; ticks: number }> {
  const table = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // After ')': state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
      const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
      table.set(Number(entry), { ppid: Number(fields[1]), ticks });
    } catch {
      // gone meanwhile
    }
  }
  return table;
}

/**
 * CPU seconds of `pid` and all its descendants (Postgres runs a process per connection; children
 * that ended are counted in their parent's cutime/cstime); null when `pid` is gone.
 */
export function treeCpuSeconds(pid: number, table = processTable()): number | null {
  if (!table.has(pid)) return null;
  let ticks = 0;
  const pending = [pid];
  while (pending.length > 0) {
    const current = pending.pop() as number;
    ticks += table.get(current)?.ticks ?? 0;
    for (const [child, info] of table) if (info.ppid === current) pending.push(child);
  }
  return ticks / clockTicks();
}

/** CPU seconds of several named process trees, sampled together. */
export function sampleCpu(pids: Readonly<Record<string, number | undefined>>): Record<string, number | null> {
  const table = processTable();
  return Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, pid === undefined ? null : treeCpuSeconds(pid, table)]));
}

/** Per-process CPU seconds used between two samples. */
export function cpuBetween(before: Record<string, number | null>, after: Record<string, number | null>): Record<string, number | null> {
  return Object.fromEntries(
    Object.entries(after).map(([name, value]) => {
      const start = before[name];
      return [name, value === null || start === null || start === undefined ? null : value - start];
    }),
  );
}
