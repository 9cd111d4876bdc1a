import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogEntry } from '@temporalio/worker';

let runtimeInstalled = false;

/**
 * Quietens the SDK's own logs in tests (warnings and errors only); safe to call repeatedly (the
 * first call wins). `drop` leaves out the lines a test expects by the hundred (the crash suite's
 * injected activity failures).
 */
export function installQuietRuntime(options: { drop?: (entry: LogEntry) => boolean } = {}): void {
  if (runtimeInstalled) return;
  const { drop } = options;
  const logger =
    drop === undefined
      ? new DefaultLogger('WARN')
      : new DefaultLogger('WARN', (entry) => void (drop(entry) ? undefined : printLogEntry(entry)));
  Runtime.install({ logger });
  runtimeInstalled = true;
}

/** Prints an SDK log line as the default logger does. */
function printLogEntry(entry: LogEntry): void {
  const { level, timestampNanos, message, meta } = entry;
  const print = level === 'ERROR' ? console.error : level === 'WARN' ? console.warn : console.log;
  print(new Date(Number(timestampNanos / 1_000_000n)).toISOString(), `[${level}]`, message, meta ?? '');
}

/** Clients on the Temporal dev server that `npm test` started (TEST_TEMPORAL_ADDRESS). */
export interface TestTemporal {
  address: string;
  client: Client;
  /** Native connection for workers. */
  nativeConnection: NativeConnection;
  /** A task queue name unique to this test, so parallel test files never share workers. */
  uniqueTaskQueue(prefix: string): string;
  close(): Promise<void>;
}

/** Connects to the test Temporal server. Call `close()` in `after`. */
export async function connectTestTemporal(): Promise<TestTemporal> {
  const address = process.env.TEST_TEMPORAL_ADDRESS;
  if (address === undefined || address === '') {
    throw new Error('TEST_TEMPORAL_ADDRESS is not set: run tests through `npm test` (scripts/test.ts starts Temporal)');
  }
  installQuietRuntime();
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  return {
    address,
    client: new Client({ connection, namespace: 'default' }),
    nativeConnection,
    uniqueTaskQueue: (prefix) => `${prefix}-${randomUUID()}`,
    close: async () => {
      await nativeConnection.close();
      await connection.close();
    },
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
