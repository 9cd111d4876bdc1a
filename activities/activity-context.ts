/**
 * Heartbeats and cancellation that work both inside a Temporal activity and in a plain call
 * (tests, scripts): outside an activity context they do nothing.
 */
import { asyncLocalStorage, type Context } from '@temporalio/activity';

/** The running activity's context, or undefined outside one. */
export function currentActivityContext(): Context | undefined {
  return asyncLocalStorage.getStore();
}

/** Heartbeats when running as an activity (with optional progress details); otherwise nothing. */
export function heartbeatIfActivity(details?: unknown): void {
  currentActivityContext()?.heartbeat(details);
}

/**
 * Throws the cancellation reason (a CancelledFailure) when the running activity was cancelled.
 * Cancellation reaches an activity only through heartbeats, so call {@link heartbeatIfActivity} often.
 * @throws CancelledFailure when cancellation was requested
 */
export function throwIfCancelled(): void {
  const signal = currentActivityContext()?.cancellationSignal;
  if (signal?.aborted) throw signal.reason;
}

/**
 * Wraps an object so that every method call first heartbeats and checks for cancellation: a
 * panel operation made of several HTTP calls (each bounded by the panel timeout) then keeps the
 * activity's heartbeat alive between them.
 */
export function heartbeating<T extends object>(target: T): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        heartbeatIfActivity();
        throwIfCancelled();
        return (value as (...a: unknown[]) => unknown).apply(object, args);
      };
    },
  });
}
