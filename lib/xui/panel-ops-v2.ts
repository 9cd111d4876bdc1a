/**
 * Client operations on a v2.x panel: clients live inside inbounds and are managed through
 * `/panel/api/inbounds/*` (read from MHSanaei/3x-ui v2.9.4, web/controller/inbound.go).
 */
import { z } from 'zod';
import { PanelNotFoundError } from './panel-errors';
import type { PanelHttp } from './panel-http';
import {
  clientToWire,
  deleteClientVia,
  getInboundVia,
  isNotFoundRefusal,
  listInboundsVia,
  parseObj,
  resetClientTrafficVia,
  seg,
  type ClientState,
  type PanelOps,
} from './panel-ops';
import { toClientTraffic, trafficRowSchema } from './panel-schemas';

/** Creates the v2 operations over an HTTP layer. */
export function createV2Ops(http: PanelHttp): PanelOps {
  const settingsBody = (inboundId: number, client: Record<string, unknown>) => ({
    id: inboundId,
    settings: JSON.stringify({ clients: [client] }),
  });

  /** The client's traffic row (v2 fills uuid, subId and enable from the stored client); null when absent. */
  async function trafficRow(email: string) {
    const route = `/panel/api/inbounds/getClientTraffics/${seg(email)}`;
    try {
      const envelope = await http.request({ method: 'GET', route });
      return parseObj(trafficRowSchema.extend({ uuid: z.string().optional() }).nullable(), envelope.obj, `GET ${route}`);
    } catch (error) {
      if (isNotFoundRefusal(error)) return null;
      throw error;
    }
  }

  async function lookupClient(email: string): Promise<ClientState | null> {
    const row = await trafficRow(email);
    if (row === null) return null;
    return {
      id: row.uuid ?? '',
      email: row.email,
      inboundIds: row.inboundId === undefined ? [] : [row.inboundId],
      enable: row.enable,
      expiryTime: row.expiryTime,
      totalGB: row.total,
    };
  }

  return {
    listInbounds: () => listInboundsVia(http),
    getInbound: (id) => getInboundVia(http, id),

    async addClient(inboundId, client) {
      await http.request({
        method: 'POST',
        route: '/panel/api/inbounds/addClient',
        json: settingsBody(inboundId, { ...clientToWire(client), reset: 0 }),
      });
    },

    async updateClient(inboundId, client) {
      const inbound = await getInboundVia(http, inboundId);
      const stored = Array.isArray(inbound.settings['clients']) ? (inbound.settings['clients'] as unknown[]) : [];
      const current = stored.find(
        (entry): entry is Record<string, unknown> =>
          entry !== null && typeof entry === 'object' && (entry as Record<string, unknown>)['id'] === client.id,
      );
      if (current === undefined) throw new PanelNotFoundError(`client ${client.email} not found in inbound ${inboundId}`);
      await http.request({
        method: 'POST',
        route: `/panel/api/inbounds/updateClient/${seg(client.id)}`,
        json: settingsBody(inboundId, { ...current, ...clientToWire(client) }),
      });
    },

    async deleteClient(inboundId, email) {
      return deleteClientVia(http, `/panel/api/inbounds/${seg(inboundId)}/delClientByEmail/${seg(email)}`);
    },

    async getClientTraffic(email) {
      const row = await trafficRow(email);
      return row === null ? null : toClientTraffic(row);
    },

    lookupClient,

    async resetClientTraffic(inboundId, email) {
      await resetClientTrafficVia(http, `/panel/api/inbounds/${seg(inboundId)}/resetClientTraffic/${seg(email)}`, email);
    },

    async findClient(inboundId, email) {
      // The whole inbound is read only when the client exists there: a new client costs one
      // narrow call, however many clients the panel holds.
      const state = await lookupClient(email);
      if (state === null || !state.inboundIds.includes(inboundId)) return null;
      const inbound = await getInboundVia(http, inboundId);
      return inbound.clients.find((client) => client.email === email) ?? null;
    },

    getClientLinks() {
      return Promise.reject(new PanelNotFoundError('client links are a v3 route; this panel speaks v2'));
    },
  };
}
