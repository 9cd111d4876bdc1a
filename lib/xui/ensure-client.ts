/**
 * `ensureClient`: the idempotent "make this client exist with these fields" on a panel.
 */
import { PanelRejectedError } from './panel-errors';
import type { PanelOps } from './panel-ops';
import type { VlessClient } from './panel-schemas';

/** What {@link ensureClient} did. */
export type EnsureClientAction = 'created' | 'updated' | 'unchanged';

/** Result of {@link ensureClient}. */
export interface EnsureClientResult {
  action: EnsureClientAction;
  client: VlessClient;
}

/**
 * Makes the inbound hold exactly one client with the desired fields, whatever happened before:
 * looks the client up by its deterministic email; when present with the same uuid, updates it
 * if any field differs; when absent, adds it. When the add is refused (a concurrent or crashed
 * earlier attempt already created it, or the client is in the inbound without the traffic row the
 * narrow v2 lookup reads, e.g. added by editing the inbound), reads the client back, from the
 * whole inbound if the narrow lookup still misses it, and treats a same-uuid client as success.
 * Safe to retry any number of times.
 *
 * @idempotency desired.email (derive it with deriveClientIdentity)
 * @throws PanelRejectedError when the email belongs to a client with another uuid (identity
 *   conflict) or the panel refuses for another reason; PanelUnavailableError (retryable) and
 *   PanelAuthError as the panel client
 */
export async function ensureClient(
  panel: Pick<PanelOps, 'findClient' | 'addClient' | 'updateClient' | 'getInbound'>,
  inboundId: number,
  desired: VlessClient,
): Promise<EnsureClientResult> {
  const existing = await panel.findClient(inboundId, desired.email);
  if (existing !== null) return reconcile(panel, inboundId, existing, desired);
  try {
    await panel.addClient(inboundId, desired);
    return { action: 'created', client: desired };
  } catch (error) {
    if (!(error instanceof PanelRejectedError)) throw error;
    const raced =
      (await panel.findClient(inboundId, desired.email)) ??
      (await panel.getInbound(inboundId)).clients.find((client) => client.email === desired.email) ??
      null;
    if (raced === null) throw error;
    return reconcile(panel, inboundId, raced, desired);
  }
}

async function reconcile(
  panel: Pick<PanelOps, 'updateClient'>,
  inboundId: number,
  existing: VlessClient,
  desired: VlessClient,
): Promise<EnsureClientResult> {
  if (existing.id !== desired.id) {
    throw new PanelRejectedError(`client ${desired.email} exists in inbound ${inboundId} with another uuid (identity conflict)`, {
      panelMessage: 'identity conflict',
    });
  }
  if (sameClient(existing, desired)) return { action: 'unchanged', client: existing };
  await panel.updateClient(inboundId, desired);
  return { action: 'updated', client: desired };
}

/** True when every modelled field is equal. */
export function sameClient(a: VlessClient, b: VlessClient): boolean {
  return (
    a.id === b.id &&
    a.email === b.email &&
    a.flow === b.flow &&
    a.limitIp === b.limitIp &&
    a.totalGB === b.totalGB &&
    a.expiryTime === b.expiryTime &&
    a.enable === b.enable &&
    a.tgId === b.tgId &&
    a.subId === b.subId &&
    a.comment === b.comment
  );
}
