/**
 * v3.x client routes (a clients group keyed by email), with the refusals of
 * internal/web/service/client_crud.go at v3.6.0: email in use by another identity, subId in use,
 * unknown inbound, unknown client, forbidden characters. Creating always enables the client;
 * re-adding an email with the same subId is accepted and leaves one copy per inbound; update
 * replaces the whole client (fields not sent become zero values, uuid/subId are kept when empty).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { buildVlessLink } from '../../lib/xui/vless-link';
import type { FakeContext } from './fake-panel-routes';
import { fail, ok, type StoredClientJson } from './fake-panel-state';
import type { StoredInbound } from './seed-inbounds';

type EmailParams = { Params: { email: string }; Querystring: { keepTraffic?: string } };
const WRONG = 'Something went wrong';
const FORBIDDEN = /[/\\ \u0000-\u001f\u007f]/;

/** A client as the panel stores it: Go zero values for every field not sent. */
function normalize(client: Record<string, unknown>): StoredClientJson {
  return {
    id: '',
    security: '',
    flow: '',
    email: '',
    limitIp: 0,
    totalGB: 0,
    expiryTime: 0,
    enable: false,
    tgId: 0,
    subId: '',
    comment: '',
    reset: 0,
    ...client,
  };
}

function canFlow(inbound: StoredInbound): boolean {
  const stream = JSON.parse(inbound.streamSettings) as Record<string, unknown>;
  return inbound.protocol === 'vless' && stream['network'] === 'tcp' && (stream['security'] === 'tls' || stream['security'] === 'reality');
}

/** Registers clients/add, update/:email, del/:email, get/:email, traffic/:email, links/:email, resetTraffic/:email. */
export function registerV3ClientRoutes(app: FastifyInstance, ctx: FakeContext): void {
  const { state } = ctx;
  const holders = (email: string) => state.inbounds.filter((inbound) => state.readClients(inbound).some((c) => c['email'] === email));
  const recordOf = (email: string) => {
    const inbound = holders(email)[0];
    return inbound && state.readClients(inbound).find((c) => c['email'] === email);
  };
  const put = (inbound: StoredInbound, email: string, client: StoredClientJson) => {
    const stored = { ...client, flow: canFlow(inbound) ? client['flow'] : '' };
    const current = state.readClients(inbound);
    const index = current.findIndex((c) => c['email'] === email);
    if (index >= 0) current[index] = { ...stored, created_at: current[index]?.['created_at'] ?? Date.now(), updated_at: Date.now() };
    else current.push({ ...stored, created_at: Date.now(), updated_at: Date.now() });
    state.writeClients(inbound, current);
  };

  app.post('/panel/api/clients/add', async (request) => {
    const body = (request.body ?? {}) as { client?: unknown; inboundIds?: unknown };
    if (body.client === null || typeof body.client !== 'object') return fail(`${WRONG} (invalid client)`);
    const client = normalize(body.client as Record<string, unknown>);
    const email = String(client['email']);
    if (email.trim() === '') return fail(`${WRONG} (client email is required)`);
    if (FORBIDDEN.test(email)) return fail(`${WRONG} (client email contains an invalid character: ${email})`);
    const ids = Array.isArray(body.inboundIds) ? body.inboundIds.map(Number) : [];
    if (ids.length === 0) return fail(`${WRONG} (at least one inbound is required)`);
    if (client['subId'] === '') client['subId'] = randomUUID();
    client['enable'] = true;
    const existing = recordOf(email);
    if (existing) {
      if (existing['subId'] === '' || existing['subId'] !== client['subId']) return fail(`${WRONG} (email already in use: ${email})`);
      if (client['id'] === '') client['id'] = existing['id'];
    }
    if (state.clients().some(({ client: c }) => c['subId'] === client['subId'] && c['email'] !== email)) {
      return fail(`${WRONG} (subId already in use: ${String(client['subId'])})`);
    }
    const inbounds = ids.map((id) => state.findInbound(id));
    if (inbounds.some((inbound) => inbound === undefined)) return fail(`${WRONG} (record not found)`);
    if (client['id'] === '') client['id'] = randomUUID();
    for (const inbound of inbounds as StoredInbound[]) {
      if (!state.readClients(inbound).some((c) => c['email'] === email)) put(inbound, email, client);
    }
    state.recordIdOf(email);
    state.addTrafficRow((inbounds[0] as StoredInbound).id, client);
    return ok(null, 'Client(s) added');
  });

  app.post<EmailParams>('/panel/api/clients/update/:email', async (request) => {
    const { email } = request.params;
    const existing = recordOf(email);
    if (!existing) return fail(`${WRONG} (record not found)`);
    const body = request.body;
    if (body === null || typeof body !== 'object') return fail(`${WRONG} (invalid client)`);
    const client = normalize(body as Record<string, unknown>);
    const newEmail = String(client['email']);
    if (newEmail.trim() === '') return fail(`${WRONG} (client email is required)`);
    if (FORBIDDEN.test(newEmail)) return fail(`${WRONG} (client email contains an invalid character: ${newEmail})`);
    if (client['subId'] === '') client['subId'] = existing['subId'];
    if (client['id'] === '') client['id'] = existing['id'];
    if (newEmail !== email && recordOf(newEmail)) return fail(`${WRONG} (Duplicate email: ${newEmail})`);
    for (const inbound of holders(email)) put(inbound, email, client);
    const row = state.trafficOf(email);
    if (row)
      Object.assign(row, {
        email: newEmail,
        total: Number(client['totalGB']),
        expiryTime: Number(client['expiryTime']),
        enable: client['enable'] === true,
      });
    return ok(null, 'Client updated');
  });

  app.post<EmailParams>('/panel/api/clients/del/:email', async (request) => {
    const { email } = request.params;
    const found = holders(email);
    if (found.length === 0) return fail(`${WRONG} (client "${email}" not found in any inbound or client record)`);
    for (const inbound of found)
      state.writeClients(
        inbound,
        state.readClients(inbound).filter((c) => c['email'] !== email),
      );
    if (request.query.keepTraffic !== '1') state.removeTrafficRow(email);
    return ok(null, 'Client deleted');
  });

  app.get<EmailParams>('/panel/api/clients/get/:email', async (request) => {
    const { email } = request.params;
    const client = recordOf(email);
    if (!client) return fail('Failed to obtain (record not found)');
    const row = state.trafficOf(email);
    return ok({
      client: {
        id: state.recordIdOf(email),
        email,
        subId: client['subId'],
        uuid: client['id'],
        password: '',
        auth: '',
        flow: client['flow'],
        security: client['security'] ?? '',
        limitIp: client['limitIp'],
        totalGB: client['totalGB'],
        expiryTime: client['expiryTime'],
        enable: client['enable'],
        tgId: client['tgId'],
        group: '',
        comment: client['comment'],
        reset: client['reset'] ?? 0,
        createdAt: client['created_at'] ?? 0,
        updatedAt: client['updated_at'] ?? 0,
      },
      inboundIds: holders(email).map((inbound) => inbound.id),
      externalLinks: [],
      usedTraffic: row ? row.up + row.down : 0,
    });
  });

  app.get<EmailParams>('/panel/api/clients/traffic/:email', async (request) => {
    const row = state.trafficOf(request.params.email);
    const client = recordOf(request.params.email);
    return ok(row ? { ...row, uuid: client?.['id'] ?? '', subId: client?.['subId'] ?? '' } : null);
  });

  app.get<EmailParams>('/panel/api/clients/links/:email', async (request) => {
    const { email } = request.params;
    if (!recordOf(email)) return fail('Failed to obtain (record not found)');
    const host = ctx.host ?? request.hostname;
    return ok(
      holders(email)
        .filter((inbound) => inbound.protocol === 'vless')
        .flatMap((inbound) => {
          const client = state.readClients(inbound).find((c) => c['email'] === email) ?? {};
          return buildVlessLink({
            inbound,
            client: { id: String(client['id']), email, flow: String(client['flow'] ?? ''), subId: String(client['subId'] ?? '') },
            host,
          });
        }),
    );
  });

  app.post<EmailParams>('/panel/api/clients/resetTraffic/:email', async (request) => {
    const { email } = request.params;
    const client = recordOf(email);
    if (!client) return fail(`${WRONG} (record not found)`);
    if (client['enable'] !== true) for (const inbound of holders(email)) put(inbound, email, { ...client, enable: true });
    const row = state.trafficOf(email);
    if (row) Object.assign(row, { up: 0, down: 0, enable: true });
    return ok(null, 'Traffic has been reset');
  });
}
