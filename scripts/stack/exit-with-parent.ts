/**
 * Preloaded (`--import`) into every process `npm run dev` starts. The launcher keeps an IPC
 * channel open to each child; if the launcher dies without cleaning up (SIGKILL, crash), the
 * channel closes and the child stops itself gracefully, so nothing is left running.
 */
if (typeof process.send === 'function') {
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  // The channel alone must not keep the process alive once its work is done.
  process.channel?.unref();
}
