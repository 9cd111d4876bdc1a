/**
 * Client operations on a v3.x panel: a clients group keyed by email, `/panel/api/clients/*`
 * (read from MHSanaei/3x-ui v3.6.0, internal/web/controller/client.go and service/client_crud.go).
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
  type PanelOps,
} from './panel-ops';
import { clientGetPayloadSchema, toClientTraffic, trafficRowSchema, type VlessClient } from './panel-schemas';

/** Record fields the product does not model but a whole-client update must not wipe. */
const PRESERVED_FIELDS = ['reset', 'group', 'security'] as const;

/** Creates the v3 operations over an HTTP layer. */
export function createV3Ops(http: PanelHttp): PanelOps {
  async function getRecord(email: string) {
    const route = `/panel/api/clients/get/${seg(email)}`;
    try {
      const envelope = await http.request({ method: 'GET', route });
      return parseObj(clientGetPayloadSchema, envelope.obj, `GET ${route}`);
    } catch (error) {
      if (isNotFoundRefusal(error)) return null;
      throw error;
    }
  }

  async function update(client: VlessClient): Promise<void> {
    const record = await getRecord(client.email);
    if (record === null) throw new PanelNotFoundError(`client ${client.email} not found`);
    const preserved: Record<string, unknown> = {};
    for (const key of PRESERVED_FIELDS) {
      if (record.client[key] !== undefined) preserved[key] = record.client[key];
    }
    await http.request({
      method: 'POST',
      route: `/panel/api/clients/update/${seg(client.email)}`,
      json: { ...preserved, ...clientToWire(client) },
    });
  }

  return {
    listInbounds: () => listInboundsVia(http),
    getInbound: (id) => getInboundVia(http, id),

    async addClient(inboundId, client) {
      await http.request({
        method: 'POST',
        route: '/panel/api/clients/add',
        json: { client: clientToWire(client), inboundIds: [inboundId] },
      });
      // The panel enables every client it creates; apply a requested disabled state afterwards.
      if (!client.enable) await update(client);
    },

    updateClient: (_inboundId, client) => update(client),

    async deleteClient(_inboundId, email) {
      return deleteClientVia(http, `/panel/api/clients/del/${seg(email)}`);
    },

    async getClientTraffic(email) {
      const route = `/panel/api/clients/traffic/${seg(email)}`;
      const envelope = await http.request({ method: 'GET', route });
      const row = parseObj(trafficRowSchema.nullable(), envelope.obj, `GET ${route}`);
      return row === null ? null : toClientTraffic(row);
    },

    async resetClientTraffic(_inboundId, email) {
      await resetClientTrafficVia(http, `/panel/api/clients/resetTraffic/${seg(email)}`, email);
    },

    async lookupClient(email) {
      const record = await getRecord(email);
      if (record === null) return null;
      const { client } = record;
      return {
        id: client.uuid,
        email: client.email,
        inboundIds: record.inboundIds,
        enable: client.enable,
        expiryTime: client.expiryTime,
        totalGB: client.totalGB,
      };
    },

    async findClient(inboundId, email) {
      const record = await getRecord(email);
      if (record === null || !record.inboundIds.includes(inboundId)) return null;
      const { client } = record;
      return {
        id: client.uuid,
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
    },

    async getClientLinks(email) {
      const route = `/panel/api/clients/links/${seg(email)}`;
      try {
        const envelope = await http.request({ method: 'GET', route });
        return parseObj(z.array(z.string()).nullable(), envelope.obj, `GET ${route}`) ?? [];
      } catch (error) {
        if (isNotFoundRefusal(error)) throw new PanelNotFoundError(`client ${email} not found`, { cause: error });
        throw error;
      }
    },
  };
}
