/**
 * v2.x client routes (inside inbounds), with the refusals of web/service/inbound.go at v2.9.4:
 * duplicate email across the whole panel, unknown inbound, unknown client, and deleting an
 * inbound's last client.
 */
import type { FastifyInstance } from 'fastify';
import { clientWrite, parseClientsSetting, type FakeContext } from './fake-panel-routes';
import { fail, ok } from './fake-panel-state';

type IdEmail = { Params: { id: string; email: string } };

/** Registers addClient, updateClient/:clientId, :id/delClientByEmail/:email, getClientTraffics/:email, :id/resetClientTraffic/:email. */
export function registerV2ClientRoutes(app: FastifyInstance, ctx: FakeContext): void {
  const { state } = ctx;
  const WRONG = 'Something went wrong';

  app.post('/panel/api/inbounds/addClient', async (request, reply) =>
    clientWrite(ctx, reply, () => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const clients = parseClientsSetting(body['settings']);
      if (clients === undefined) return fail(`${WRONG} (invalid settings)`);
      const taken = new Set(state.allEmails());
      for (const client of clients) {
        const email = String(client['email'] ?? '');
        if (email !== '' && taken.has(email)) return fail(`${WRONG} (Duplicate email: ${email})`);
        taken.add(email);
      }
      const inbound = state.findInbound(Number(body['id']));
      if (!inbound) return fail(`${WRONG} (record not found)`);
      if (clients.some((client) => typeof client['id'] !== 'string' || client['id'] === '')) return fail(`${WRONG} (empty client ID)`);
      const now = Date.now();
      const added = clients.map((client) => ({
        ...client,
        created_at: client['created_at'] ?? now,
        updated_at: now,
      }));
      state.writeClients(inbound, [...state.readClients(inbound), ...added]);
      for (const client of added) state.addTrafficRow(inbound.id, client);
      return ok(null, 'Client(s) added');
    }),
  );

  app.post<{ Params: { clientId: string } }>('/panel/api/inbounds/updateClient/:clientId', async (request, reply) =>
    clientWrite(ctx, reply, () => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const [client] = parseClientsSetting(body['settings']) ?? [];
      if (client === undefined) return fail(`${WRONG} (invalid settings)`);
      const inbound = state.findInbound(Number(body['id']));
      if (!inbound) return fail(`${WRONG} (record not found)`);
      const current = state.readClients(inbound);
      const index = current.findIndex((c) => c['id'] === request.params.clientId);
      const old = current[index];
      if (old === undefined || typeof client['id'] !== 'string' || client['id'] === '') return fail(`${WRONG} (empty client ID)`);
      const oldEmail = String(old['email'] ?? '');
      const email = String(client['email'] ?? '');
      if (email !== '' && email !== oldEmail && state.allEmails().includes(email)) return fail(`${WRONG} (Duplicate email: ${email})`);
      current[index] = {
        ...client,
        created_at: old['created_at'] ?? Date.now(),
        updated_at: Date.now(),
      };
      state.writeClients(inbound, current);
      const row = state.trafficOf(oldEmail);
      if (row) {
        row.email = email;
        row.total = Number(client['totalGB'] ?? 0);
        row.expiryTime = Number(client['expiryTime'] ?? 0);
        row.enable = client['enable'] !== false;
      }
      return ok(null, 'Client updated');
    }),
  );

  app.post<IdEmail>('/panel/api/inbounds/:id/delClientByEmail/:email', async (request, reply) =>
    clientWrite(ctx, reply, () => {
      const inbound = state.findInbound(Number(request.params.id));
      if (!inbound) return fail('Failed to delete client by email (record not found)');
      const { email } = request.params;
      const current = state.readClients(inbound);
      const remaining = current.filter((c) => c['email'] !== email);
      if (remaining.length === current.length) return fail(`Failed to delete client by email (client with email ${email} not found)`);
      if (remaining.length === 0) return fail('Failed to delete client by email (no client remained in Inbound)');
      state.writeClients(inbound, remaining);
      state.removeTrafficRow(email);
      return ok(null, 'Client deleted successfully');
    }),
  );

  app.get<{ Params: { email: string } }>('/panel/api/inbounds/getClientTraffics/:email', async (request) => {
    const { email } = request.params;
    const row = state.trafficOf(email);
    const owner = state.clients().find(({ client }) => client['email'] === email);
    if (!row || !owner) return fail(`Error getting traffics (Inbound Not Found For Email: ${email})`);
    return ok({
      ...row,
      uuid: owner.client['id'],
      subId: owner.client['subId'] ?? '',
    });
  });

  app.post<IdEmail>('/panel/api/inbounds/:id/resetClientTraffic/:email', async (request) => {
    const row = state.trafficOf(request.params.email);
    if (!row) return fail(`${WRONG} (Inbound Not Found For Email: ${request.params.email})`);
    row.up = 0;
    row.down = 0;
    row.enable = true;
    return ok(null, 'Traffic has been reset');
  });
}
