/**
 * What the stub subscription workflow of the payment tests (test/integration/payment-test-workflows.ts)
 * says it received, read with its `receivedPayments` query. Kept out of that file: it is bundled as
 * workflow code and must not import the client.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { subscriptionWorkflowId } from '../../workflows/contract';
import type { subscriptionWorkflow } from '../integration/payment-test-workflows';

/** The payment ids `subscription-{id}` received, or undefined while it has not started. */
export async function receivedBySubscription(client: Client, subscriptionId: number): Promise<number[] | undefined> {
  try {
    return await client.workflow
      .getHandle<typeof subscriptionWorkflow>(subscriptionWorkflowId(subscriptionId))
      .query<number[]>('receivedPayments');
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}
