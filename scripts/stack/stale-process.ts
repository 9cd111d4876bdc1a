import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';

/**
 * If a previous launcher died without cleaning up (SIGKILL, power loss), its server may still
 * hold the data folder and ports. When `pidFile` names a live process whose command line
 * contains `marker` (our data folder), stop it (SIGTERM, then SIGKILL after 10 s).
 *
 * @returns true when a stale process was stopped
 */
export async function stopStaleProcess(pidFile: string, marker: string): Promise<boolean> {
  if (!existsSync(pidFile)) return false;
  const pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]?.trim());
  if (!Number.isInteger(pid) || pid <= 1) return false;
  let cmdline: string;
  try {
    cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
  } catch {
    return false; // not running
  }
  if (!cmdline.includes(marker)) return false;
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; waited < 10_000; waited += 100) {
    if (!existsSync(`/proc/${pid}`)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  process.kill(pid, 'SIGKILL');
  return true;
}

/** Records a child's pid for {@link stopStaleProcess}; returns a remover for clean stops. */
export async function writePidFile(pidFile: string, pid: number): Promise<() => Promise<void>> {
  await writeFile(pidFile, `${pid}\n`);
  return () => rm(pidFile, { force: true });
}
