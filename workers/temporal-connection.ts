/**
 * The worker process's one connection to Temporal.
 *
 * The Worker must poll through a NativeConnection (the Rust core's gRPC channel). The Client the
 * process also needs (schedules at start-up; activities that signal, signal-with-start and start
 * workflows through clients/) runs on that same NativeConnection: it implements the client's
 * ConnectionLike (workflowService, operatorService, withDeadline), so a second, grpc-js
 * `Connection` would only add another channel to the same server, another set of keepalives and
 * TLS settings to keep in step, and another thing to close. One connection, built once, shared.
 *
 * Shutdown order follows from it: the Worker stops first (`worker.run()` resolves after the
 * shutdown grace, during which running activities still signal through this client), then
 * `close()` closes the connection; NativeConnection.close() refuses while a Worker still uses it.
 */
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';

/** The connection the Worker polls on and the Client on the same connection. */
export interface WorkerTemporal {
  connection: NativeConnection;
  client: Client;
  /** Closes the connection; call after the worker stopped. */
  close(): Promise<void>;
}

/**
 * Connects once to the Temporal server at `address`.
 * @throws the SDK's connection errors (server unreachable)
 */
export async function connectWorkerTemporal(options: { address: string; namespace: string }): Promise<WorkerTemporal> {
  const connection = await NativeConnection.connect({ address: options.address });
  return {
    connection,
    client: new Client({ connection, namespace: options.namespace }),
    close: () => connection.close(),
  };
}
