import { spawn, type ChildProcess } from 'node:child_process';

/** A supervised child process of the dev stack. */
export interface Supervised {
  name: string;
  child: ChildProcess;
  /** Resolves with the exit code when the child ends. */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts a TypeScript entry point under the same Node (tsx loader), prefixing each output line
 * with the process name so the dev console reads as one log.
 */
export function startTsProcess(name: string, entry: string, env: NodeJS.ProcessEnv, cwd: string): Supervised {
  const child = spawn(process.execPath, ['--import', 'tsx', entry], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = `[${name}]`.padEnd(10);
  const forward = (stream: NodeJS.WriteStream) => (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') stream.write(`${prefix} ${line}\n`);
  };
  child.stdout?.on('data', forward(process.stdout));
  child.stderr?.on('data', forward(process.stderr));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name,
    child,
    exited,
    stop: async (graceMs = 35_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(killer);
    },
  };
}
