/**
 * Client operations on a v2.x panel: clients live inside inbounds and are managed through
 * `/panel/api/inbounds/*` (read from MHSanaei/3x-ui v2.9.4, web/controller/inbound.go).
 */
import { PanelNotFoundError } from './panel-errors';
import type { PanelHttp } from './panel-http';
import { clientToWire, deleteClientVia, getInboundVia, isNotFoundRefusal, listInboundsVia, parseObj, resetClientTrafficVia, seg, type PanelOps } from './panel-ops';
import { toClientTraffic, trafficRowSchema } from './panel-schemas';

/** Creates the v2 operations over an HTTP layer. */
export function createV2Ops(http: PanelHttp): PanelOps {
  const settingsBody = (inboundId: number, client: Record<string, unknown>) => ({
    id: inboundId,
    settings: JSON.stringify({ clients: [client] }),
  });

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
      const route = `/panel/api/inbounds/getClientTraffics/${seg(email)}`;
      try {
        const envelope = await http.request({ method: 'GET', route });
        const row = parseObj(trafficRowSchema.nullable(), envelope.obj, `GET ${route}`);
        return row === null ? null : toClientTraffic(row);
      } catch (error) {
        if (isNotFoundRefusal(error)) return null;
        throw error;
      }
    },

    async resetClientTraffic(inboundId, email) {
      await resetClientTrafficVia(http, `/panel/api/inbounds/${seg(inboundId)}/resetClientTraffic/${seg(email)}`, email);
    },

    async findClient(inboundId, email) {
      const inbound = await getInboundVia(http, inboundId);
      return inbound.clients.find((client) => client.email === email) ?? null;
    },

    getClientLinks() {
      return Promise.reject(new PanelNotFoundError('client links are a v3 route; this panel speaks v2'));
    },
  };
}
