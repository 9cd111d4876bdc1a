/**
 * The operations both panel generations offer, and helpers shared by their implementations.
 */
import type { z } from 'zod';
import { PanelNotFoundError, PanelRejectedError } from './panel-errors';
import type { PanelHttp } from './panel-http';
import { inboundSchema, toPanelInbound, type ClientTraffic, type PanelInbound, type VlessClient } from './panel-schemas';

/** Client operations with one interface on v2 and v3 panels. */
export interface PanelOps {
  /**
   * Every inbound with its clients and traffic rows.
   * @throws PanelUnavailableError, PanelRejectedError, PanelAuthError
   */
  listInbounds(): Promise<PanelInbound[]>;
  /**
   * One inbound by id.
   * @throws PanelNotFoundError when the panel has no such inbound; others as listInbounds
   */
  getInbound(id: number): Promise<PanelInbound>;
  /**
   * Adds a client to an inbound. The email must be unique across the whole panel.
   * @throws PanelRejectedError on duplicate email, unknown inbound or bad client
   */
  addClient(inboundId: number, client: VlessClient): Promise<void>;
  /**
   * Replaces a client's fields (found by uuid on v2, by email on v3); fields the product does not
   * model (e.g. `reset`) are read back and preserved.
   * @throws PanelNotFoundError when the client is absent; PanelRejectedError on refusal
   */
  updateClient(inboundId: number, client: VlessClient): Promise<void>;
  /**
   * Deletes a client by email. Idempotent: `deleted: false` when the panel reports it absent.
   * On v3 this removes the client from every inbound it is attached to.
   * @throws PanelRejectedError on other refusals (v2 refuses to delete an inbound's last client)
   */
  deleteClient(inboundId: number, email: string): Promise<{ deleted: boolean }>;
  /**
   * Traffic counters of a client (bytes), or null when the panel has no such client.
   * @throws PanelUnavailableError, PanelRejectedError, PanelAuthError
   */
  getClientTraffic(email: string): Promise<ClientTraffic | null>;
  /**
   * Zeroes a client's up/down counters (and re-enables it, as the panel does).
   * @throws PanelNotFoundError when the client is absent
   */
  resetClientTraffic(inboundId: number, email: string): Promise<void>;
  /**
   * Looks a client up by email within one inbound; null when absent there. v3 reads the client
   * record; v2 reads the traffic row first and the whole inbound only when the client is there.
   * @throws PanelUnavailableError, PanelRejectedError, PanelAuthError
   */
  findClient(inboundId: number, email: string): Promise<VlessClient | null>;
  /**
   * The narrowest read of a client by email, whatever the number of clients on the panel (v3
   * `clients/get/:email`, v2 `inbounds/getClientTraffics/:email`, both read from the stored
   * client): null when the panel has no such client.
   * @throws PanelUnavailableError, PanelRejectedError, PanelAuthError
   */
  lookupClient(email: string): Promise<ClientState | null>;
  /**
   * The share links the panel itself builds for a client (v3 only).
   * @throws PanelNotFoundError on v2 panels (no such route) or when the client is absent
   */
  getClientLinks(email: string): Promise<string[]>;
}

/** What {@link PanelOps.lookupClient} reads: the fields every write is verified by. */
export interface ClientState {
  id: string;
  email: string;
  /** Inbounds holding the client (one on v2). */
  inboundIds: number[];
  enable: boolean;
  expiryTime: number;
  /** Quota in bytes, 0 = unlimited. */
  totalGB: number;
}

/** True when a refusal's panel message says the thing was not found (both generations say so). */
export function isNotFoundRefusal(error: unknown): error is PanelRejectedError {
  return error instanceof PanelRejectedError && /not found/i.test(error.panelMessage);
}

/** Validates `obj` of an envelope. @throws PanelRejectedError when the shape is wrong */
export function parseObj<S extends z.ZodType>(schema: S, obj: unknown, where: string): z.infer<S> {
  const parsed = schema.safeParse(obj);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue ? issue.path.join('.') : '';
    throw new PanelRejectedError(`${where}: unexpected answer shape at '${path}': ${issue?.message ?? ''}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

/** The client as the panel stores it (both generations accept this JSON). */
export function clientToWire(client: VlessClient): Record<string, unknown> {
  return {
    id: client.id,
    email: client.email,
    flow: client.flow,
    limitIp: client.limitIp,
    totalGB: client.totalGB,
    expiryTime: client.expiryTime,
    enable: client.enable,
    tgId: client.tgId,
    subId: client.subId,
    comment: client.comment,
  };
}

/**
 * POSTs a client deletion; the panel refusing because the client is absent counts as deleted
 * (`deleted: false`), so a repeated delete is not an error.
 */
export async function deleteClientVia(http: PanelHttp, route: string): Promise<{ deleted: boolean }> {
  try {
    await http.request({ method: 'POST', route });
    return { deleted: true };
  } catch (error) {
    if (isNotFoundRefusal(error)) return { deleted: false };
    throw error;
  }
}

/**
 * POSTs a traffic reset.
 * @throws PanelNotFoundError when the panel has no client `email`
 */
export async function resetClientTrafficVia(http: PanelHttp, route: string, email: string): Promise<void> {
  try {
    await http.request({ method: 'POST', route });
  } catch (error) {
    if (isNotFoundRefusal(error)) throw new PanelNotFoundError(`client ${email} not found`, { cause: error });
    throw error;
  }
}

/** Path segment encoding for emails and ids in routes. */
export function seg(value: string | number): string {
  return encodeURIComponent(String(value));
}

/** GET /panel/api/inbounds/list, normalised. */
export async function listInboundsVia(http: PanelHttp): Promise<PanelInbound[]> {
  const where = 'GET /panel/api/inbounds/list';
  const envelope = await http.request({ method: 'GET', route: '/panel/api/inbounds/list' });
  const list = parseObj(inboundSchema.array().nullable(), envelope.obj, where) ?? [];
  return list.map(toPanelInbound);
}

/** GET /panel/api/inbounds/get/:id, normalised. @throws PanelNotFoundError when absent */
export async function getInboundVia(http: PanelHttp, id: number): Promise<PanelInbound> {
  const route = `/panel/api/inbounds/get/${seg(id)}`;
  try {
    const envelope = await http.request({ method: 'GET', route });
    return toPanelInbound(parseObj(inboundSchema, envelope.obj, `GET ${route}`));
  } catch (error) {
    if (isNotFoundRefusal(error)) throw new PanelNotFoundError(`inbound ${id} not found on the panel`, { cause: error });
    throw error;
  }
}
