import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { AlertActivities } from '../activities/contracts/alert-activities';
import type { StarsChargeActivities, StarsChargeState } from '../activities/contracts/stars-charge-activities';
import { ActivityProfile } from './activity-options';

/** Input of `stars-charge-{chargeId}`. */
export interface StarsChargeWorkflowInput {
  /** `stars_charges.id`. */
  chargeId: number;
}

const database = proxyActivities<StarsChargeActivities>(ActivityProfile.database);
const handOff = proxyActivities<StarsChargeActivities>(ActivityProfile.temporal);
const telegram = proxyActivities<StarsChargeActivities>(ActivityProfile.telegram);
const alerts = proxyActivities<AlertActivities>(ActivityProfile.database);

/**
 * Whether operators hear about this settlement: anything but the ordinary path (the bot stored
 * it, it applied) and a charge that had completed its order before it was stored (an older bot).
 */
export function needsOperatorAlert(state: StarsChargeState): boolean {
  if (state.status === 'applied') return state.recordedBy === 'reconciler' && state.reason !== 'already-applied';
  return true;
}

/** The operator alert's text: ids, Stars and the outcome, nothing secret. */
export function settlementSummary(state: StarsChargeState): string {
  const order = state.paymentId === null ? 'no order of ours' : `payment ${state.paymentId}`;
  const found = state.recordedBy === 'reconciler' ? ' (found only in getStarTransactions)' : '';
  switch (state.status) {
    case 'applied':
      return `Stars charge ${state.chargeId}${found}: ${state.stars} Stars applied to ${order}.`;
    case 'refunded':
      return `Stars charge ${state.chargeId}${found}: ${state.stars} Stars refunded to the payer (${state.reason ?? 'refund'}; ${order}).`;
    case 'unresolved':
      return `Stars charge ${state.chargeId}${found}: ${state.stars} Stars could not be refunded (${state.reason ?? 'unknown'}; ${order}); an operator must settle it.`;
    default:
      return `Stars charge ${state.chargeId}${found}: ${state.stars} Stars, ${state.status} (${order}).`;
  }
}

/**
 * `stars-charge-{chargeId}`: settles one stored Telegram Stars charge. Decides once (apply to the
 * order its payload names, or refund), then for an applied charge hands the completed payment to
 * `payment-{id}` (which signals the subscription as for every provider), and for a refund calls
 * refundStarPayment and tells the payer. Ends by marking the charge settled and, unless it was
 * the ordinary path, telling the operators (`stars_charge_settled`). Every step is idempotent, so
 * a new run after a failed one (the stars-reconcile Schedule starts it again) picks up where the
 * last stopped; a run that fails tells the operators once (`work_parked`).
 */
export async function starsChargeWorkflow(input: StarsChargeWorkflowInput): Promise<StarsChargeState> {
  try {
    return await settle(input.chargeId);
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    // A step ran out of retries (e.g. Postgres down for minutes). The run fails; the stars-reconcile
    // Schedule starts the charge again. Operators hear once per charge (the key deduplicates).
    const type = error.cause instanceof ApplicationFailure ? (error.cause.type ?? 'unknown') : 'timeout';
    await alerts.alertOperators({
      kind: 'work_parked',
      key: `work_parked:stars-charge-${input.chargeId}`,
      summary: `Stars charge ${input.chargeId} could not be settled yet (${error.activityType}: ${type}); the stars-reconcile Schedule retries it. See stars_charges id ${input.chargeId}.`,
    });
    throw error;
  }
}

async function settle(chargeId: number): Promise<StarsChargeState> {
  let state = await database.decideStarsCharge({ chargeId });
  if (state.status === 'applied' && !state.handedOff) state = await handOff.handOffStarsPayment({ chargeId });
  if (state.status === 'refunding') state = await telegram.refundStarsCharge({ chargeId });
  if (state.status === 'refunded' && !state.userNotified) state = await telegram.notifyStarsRefund({ chargeId });
  const wasSettled = state.settled;
  state = await database.finishStarsCharge({ chargeId });
  if (!wasSettled && needsOperatorAlert(state)) {
    await alerts.alertOperators({
      kind: 'stars_charge_settled',
      key: `stars_charge_settled:${state.chargeId}`,
      summary: settlementSummary(state),
      ...(state.paymentId === null ? {} : { paymentId: state.paymentId }),
      ...(state.userId === null ? {} : { userId: state.userId }),
      ...(state.subscriptionId === null ? {} : { subscriptionId: state.subscriptionId }),
    });
  }
  return state;
}
