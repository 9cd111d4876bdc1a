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
 * with the process name so the dev console reads as one log. The launcher must stop it (it is
 * not in the launcher's process group); the cleanup stack does that on exit and on signals.
 */
export function startTsProcess(name: string, entry: string, env: NodeJS.ProcessEnv, cwd: string): Supervised {
  // Its own process group: a terminal's Ctrl-C reaches only the launcher, which then stops the
  // children in order (the bot before the fake Telegram it polls, the worker before Temporal).
  const preload = new URL('./exit-with-parent.ts', import.meta.url).href;
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', preload, entry], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    detached: true,
  });
  // The IPC channel must not keep the launcher alive on its own.
  child.channel?.unref();
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
