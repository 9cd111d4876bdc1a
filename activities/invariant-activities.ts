import type { InvariantActivities } from './contracts/invariant-activities';
import { checkInvariants, type InvariantDeps } from './invariants';

export type { InvariantActivities } from './contracts/invariant-activities';

/** Builds the invariant activity from the worker's dependencies. */
export function createInvariantActivities(deps: InvariantDeps): InvariantActivities {
  return {
    checkInvariants: async (input) =>
      checkInvariants(deps, input.settleSeconds === undefined ? {} : { settleSeconds: input.settleSeconds }),
  };
}
