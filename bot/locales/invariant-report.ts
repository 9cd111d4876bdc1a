import type { OperatorActions } from '../../usecases/operator-types';

/**
 * The invariant checker's report as /invariants shows it, named through the operator interface
 * the bot already depends on, so the texts need not import activity code.
 */
export type InvariantReport = Extract<Awaited<ReturnType<NonNullable<OperatorActions['checkInvariants']>>>, { ok: true }>['value'];
