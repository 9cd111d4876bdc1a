import { checkInvariants, type InvariantDeps, type InvariantReport } from './invariants';

/** The invariant checker as an activity (run by the `invariants-check` Schedule and /invariants). */
export interface InvariantActivities {
  /**
   * Checks every invariant once (activities/invariants.ts); violations are in the report, never
   * thrown. @idempotency read-only
   * @param input.settleSeconds rows changed this recently are not judged yet; default 600
   */
  checkInvariants(input: { settleSeconds?: number }): Promise<InvariantReport>;
}

/** Builds the invariant activity from the worker's dependencies. */
export function createInvariantActivities(deps: InvariantDeps): InvariantActivities {
  return {
    checkInvariants: async (input) => checkInvariants(deps, input.settleSeconds === undefined ? {} : { settleSeconds: input.settleSeconds }),
  };
}
