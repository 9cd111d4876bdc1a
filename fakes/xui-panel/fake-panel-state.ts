/**
 * The fake panel's data: inbound rows with clients inside `settings` (a JSON string, as the real
 * panel stores them) and one client-traffic row per email, like the panel's `client_traffics`.
 */
import type { StoredInbound } from './seed-inbounds';

/** A stored client (the panel keeps whatever JSON it was given). */
export type StoredClientJson = Record<string, unknown>;

/** A client-traffic row (`clientStats`). */
export interface TrafficRowJson {
  id: number;
  inboundId: number;
  enable: boolean;
  email: string;
  up: number;
  down: number;
  expiryTime: number;
  total: number;
  reset: number;
  lastOnline: number;
}

/** The fake's mutable state, exposed to tests. */
export interface FakePanelState {
  inbounds: StoredInbound[];
  traffics: TrafficRowJson[];
  /** Every client of every inbound, flattened. */
  clients(): Array<{ inboundId: number; client: StoredClientJson }>;
  /** The inbound row, or undefined. */
  findInbound(id: number): StoredInbound | undefined;
  /** Parsed `settings.clients` of an inbound. */
  readClients(inbound: StoredInbound): StoredClientJson[];
  /** Rewrites `settings.clients` of an inbound, keeping the other settings keys. */
  writeClients(inbound: StoredInbound, clients: StoredClientJson[]): void;
  /** Every email in the panel. */
  allEmails(): string[];
  /** The traffic row of an email. */
  trafficOf(email: string): TrafficRowJson | undefined;
  /** Adds a traffic row for a new client (no-op when the email has one). */
  addTrafficRow(inboundId: number, client: StoredClientJson): void;
  /** Removes an email's traffic row. */
  removeTrafficRow(email: string): void;
  /** Adds used bytes to a client's counters (test helper). */
  addTraffic(email: string, up: number, down: number): void;
  /** Stable numeric record id of an email (v3 `clients` table id). */
  recordIdOf(email: string): number;
}

/** Creates the state seeded with the given inbounds (deep-copied). */
export function createFakePanelState(seed: readonly StoredInbound[]): FakePanelState {
  const inbounds = seed.map((inbound) => ({ ...inbound }));
  const traffics: TrafficRowJson[] = [];
  const recordIds = new Map<string, number>();
  let nextTrafficId = 1;

  const readClients = (inbound: StoredInbound): StoredClientJson[] => {
    const settings = JSON.parse(inbound.settings) as { clients?: StoredClientJson[] };
    return Array.isArray(settings.clients) ? settings.clients : [];
  };

  const state: FakePanelState = {
    inbounds,
    traffics,
    clients: () => inbounds.flatMap((inbound) => readClients(inbound).map((client) => ({ inboundId: inbound.id, client }))),
    findInbound: (id) => inbounds.find((inbound) => inbound.id === id),
    readClients,
    writeClients(inbound, clients) {
      const settings = JSON.parse(inbound.settings) as Record<string, unknown>;
      settings['clients'] = clients;
      inbound.settings = JSON.stringify(settings, null, 2);
    },
    allEmails: () =>
      state
        .clients()
        .map(({ client }) => String(client['email'] ?? ''))
        .filter((email) => email !== ''),
    trafficOf: (email) => traffics.find((row) => row.email === email),
    addTrafficRow(inboundId, client) {
      const email = String(client['email'] ?? '');
      if (email === '' || state.trafficOf(email)) return;
      traffics.push({
        id: nextTrafficId++,
        inboundId,
        enable: client['enable'] !== false,
        email,
        up: 0,
        down: 0,
        expiryTime: Number(client['expiryTime'] ?? 0),
        total: Number(client['totalGB'] ?? 0),
        reset: Number(client['reset'] ?? 0),
        lastOnline: 0,
      });
    },
    removeTrafficRow(email) {
      const index = traffics.findIndex((row) => row.email === email);
      if (index >= 0) traffics.splice(index, 1);
    },
    addTraffic(email, up, down) {
      const row = state.trafficOf(email);
      if (!row) throw new Error(`no traffic row for ${email}`);
      row.up += up;
      row.down += down;
    },
    recordIdOf(email) {
      let id = recordIds.get(email);
      if (id === undefined) {
        id = recordIds.size + 1;
        recordIds.set(email, id);
      }
      return id;
    },
  };
  for (const inbound of inbounds) for (const client of readClients(inbound)) state.addTrafficRow(inbound.id, client);
  return state;
}

/** The panel's JSON answer envelope. */
export function ok(obj: unknown = null, msg = ''): { success: true; msg: string; obj: unknown } {
  return { success: true, msg, obj };
}

/** A refusal: `success: false` (the real panel answers these with HTTP 200). */
export function fail(msg: string): { success: false; msg: string; obj: null } {
  return { success: false, msg, obj: null };
}

/** An inbound as the list/get routes return it: v2 keeps JSON strings, v3 nests objects. */
export function serializeInbound(state: FakePanelState, inbound: StoredInbound, version: 'v2' | 'v3'): Record<string, unknown> {
  // Parsed once and indexed by email: linear in the inbound's clients, not quadratic (a panel
  // with thousands of clients must not make the fake the bottleneck of a benchmark).
  const byEmail = new Map<unknown, StoredClientJson>();
  for (const client of state.readClients(inbound)) if (!byEmail.has(client['email'])) byEmail.set(client['email'], client);
  const clientStats = state.traffics
    .filter((row) => row.inboundId === inbound.id)
    .map((row) => {
      const client = byEmail.get(row.email);
      return { ...row, uuid: client?.['id'] ?? '', subId: client?.['subId'] ?? '' };
    });
  const base = { ...inbound, clientStats };
  if (version === 'v2') return base;
  return {
    ...base,
    settings: JSON.parse(inbound.settings),
    streamSettings: JSON.parse(inbound.streamSettings),
    sniffing: JSON.parse(inbound.sniffing),
    nodeId: null,
    shareAddr: '',
    shareAddrStrategy: 'node',
    trafficReset: 'never',
    lastTrafficResetTime: 0,
  };
}
