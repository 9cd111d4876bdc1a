/**
 * Workflows for the failover integration test: the real health probe and failover, plus a stub
 * in place of the subscription workflow that only records the moveToServer signals it receives,
 * so the test does not depend on the subscription workflow's behaviour.
 */
import { condition, defineQuery, defineSignal, setHandler } from '@temporalio/workflow';
import { SignalName } from '../../workflows/contract';
import type { MoveToServerSignal } from '../../workflows/subscription-messages';

export { panelHealthWorkflow } from '../../workflows/panel-health-workflow';
export { serverFailoverWorkflow } from '../../workflows/server-failover-workflow';

/** The moves a stub received so far. */
export const movesQuery = defineQuery<MoveToServerSignal[]>('moves');
const moveToServerSignal = defineSignal<[MoveToServerSignal]>(SignalName.moveToServer);

/** Stands in for `subscription-{id}`: records moveToServer signals until told to stop (cancel signal). */
export async function moveRecorderWorkflow(): Promise<MoveToServerSignal[]> {
  const moves: MoveToServerSignal[] = [];
  let stopped = false;
  setHandler(moveToServerSignal, (move) => void moves.push(move));
  setHandler(movesQuery, () => moves);
  setHandler(defineSignal(SignalName.cancel), () => void (stopped = true));
  await condition(() => stopped);
  return moves;
}
