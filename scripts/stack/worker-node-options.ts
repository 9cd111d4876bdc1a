/**
 * The worker's Node options: a bounded V8 heap. Left to its default (about a quarter of the
 * machine's memory, 4 GiB here) V8 grows the heap long before it collects, so the worker's RSS
 * tracked the heap limit rather than what it holds: 1,028 MiB with 2,000 open subscriptions and a
 * workflow cache of 250 (bench scale), 720 MiB with the heap bounded at 400 MiB and the same key
 * rate. 512 MiB leaves room above that run's live set. docker-compose.yml runs the worker with
 * the same flag (test/compose checks it); `npm run dev` and the benches pass it here.
 */
export const WORKER_NODE_OPTIONS = '--max-old-space-size=512';

/** Node options one after the other, skipping the missing. */
export function joinNodeOptions(...options: Array<string | undefined>): string {
  return options.filter((option) => option !== undefined && option.trim() !== '').join(' ');
}
