/**
 * Load generation on loopback: an open-loop pacer (start task i at t0 + i/rate, whatever the
 * previous ones are doing, bounded by count, time and in-flight work) and a keep-alive HTTP POST.
 */
import { Agent, request } from 'node:http';

/** Outcome of {@link runAtRate}. */
export interface PacedRun {
  /** Tasks started. */
  started: number;
  /** Tasks not started because `maxInFlight` was reached (the system fell behind). */
  skipped: number;
  /** Wall time from the first start to the last start, in seconds. */
  seconds: number;
}

/**
 * Starts `task(i)` `rate` times per second for `seconds` (open loop: a slow system does not slow
 * the arrivals down, as real payers would not). Returns once every task has been started;
 * the caller awaits the completions it tracks. At most `maxInFlight` run at once; beyond that
 * arrivals are skipped and counted (they would be dropped or redelivered in reality).
 */
export async function runAtRate(options: {
  rate: number;
  seconds: number;
  maxInFlight: number;
  task: (index: number) => Promise<unknown>;
}): Promise<PacedRun> {
  const total = Math.max(1, Math.round(options.rate * options.seconds));
  const start = performance.now();
  let inFlight = 0;
  let skipped = 0;
  let started = 0;
  for (let index = 0; index < total; index += 1) {
    const due = start + (index * 1000) / options.rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    if (inFlight >= options.maxInFlight) {
      skipped += 1;
      continue;
    }
    inFlight += 1;
    started += 1;
    void options
      .task(index)
      .catch(() => undefined)
      .finally(() => {
        inFlight -= 1;
      });
  }
  return { started, skipped, seconds: (performance.now() - start) / 1000 };
}

/** Runs `task` with `concurrency` workers until `seconds` pass or `count` tasks started. */
export async function runClosedLoop(options: {
  concurrency: number;
  seconds: number;
  count: number;
  task: (index: number) => Promise<unknown>;
}): Promise<{ done: number; seconds: number }> {
  const start = performance.now();
  const deadline = start + options.seconds * 1000;
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < deadline && next < options.count) {
        const index = next++;
        await options.task(index).catch(() => undefined);
        done += 1;
      }
    }),
  );
  return { done, seconds: (performance.now() - start) / 1000 };
}

/** A small HTTP client for loopback POSTs with a keep-alive pool. */
export interface HttpPoster {
  post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }>;
  close(): void;
}

/** Creates a poster whose pool keeps at most `maxSockets` connections. */
export function createHttpPoster(maxSockets: number): HttpPoster {
  const agent = new Agent({ keepAlive: true, maxSockets });
  return {
    post: (url, body, headers) =>
      new Promise((resolve, reject) => {
        const req = request(
          url,
          { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
            response.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}

/** A distinct private source address per index, for X-Forwarded-For. */
export function syntheticIp(index: number): string {
  return `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`;
}
