/**
 * zod schemas for what a 3X-UI panel answers (both API generations) and the normalised types
 * the rest of the code uses. v2 stores `settings`/`streamSettings` as JSON strings; v3 returns
 * them as nested objects; both shapes parse to plain objects here.
 */
import { z } from 'zod';

/** The panel's answer envelope: `{ success, msg, obj }`. */
export const envelopeSchema = z.object({
  success: z.boolean(),
  msg: z
    .string()
    .nullish()
    .transform((value) => value ?? ''),
  obj: z.unknown(),
});

/** A parsed envelope. */
export type PanelEnvelope = z.infer<typeof envelopeSchema>;

/** Numbers that older panels sometimes stored as strings (tgId, limits). */
const lenientInt = z
  .union([z.number(), z.string(), z.null()])
  .transform((value) => (typeof value === 'number' ? value : Number.parseInt(value ?? '', 10) || 0));

/**
 * A VLESS client as this product models it. Units: `totalGB` is BYTES (0 = unlimited),
 * `expiryTime` epoch milliseconds (0 = never, negative = ms after first use), `limitIp` max
 * concurrent IPs (0 = unlimited), `tgId` Telegram user id (0 = none).
 */
export interface VlessClient {
  id: string;
  email: string;
  flow: string;
  limitIp: number;
  totalGB: number;
  expiryTime: number;
  enable: boolean;
  tgId: number;
  subId: string;
  comment: string;
}

/** A client entry as stored in an inbound's `settings.clients` (unknown keys kept). */
export const storedClientSchema = z.looseObject({
  id: z.string().default(''),
  email: z.string().default(''),
  flow: z
    .string()
    .nullish()
    .transform((value) => value ?? ''),
  limitIp: lenientInt.default(0),
  totalGB: lenientInt.default(0),
  expiryTime: lenientInt.default(0),
  enable: z.boolean().default(true),
  tgId: lenientInt.default(0),
  subId: z
    .string()
    .nullish()
    .transform((value) => value ?? ''),
  comment: z
    .string()
    .nullish()
    .transform((value) => value ?? ''),
});

/** A stored client with every key the panel sent. */
export type StoredClient = z.infer<typeof storedClientSchema>;

/** Per-client traffic counters (bytes) and limits, as the product reads them. */
export interface ClientTraffic {
  /** Uploaded bytes. */
  up: number;
  /** Downloaded bytes. */
  down: number;
  /** Quota in bytes, 0 = unlimited. */
  total: number;
  /** Epoch ms, 0 = never. */
  expiryTime: number;
  enable: boolean;
}

/** A `clientStats` / client-traffic row. */
export const trafficRowSchema = z.looseObject({
  email: z.string(),
  up: lenientInt.default(0),
  down: lenientInt.default(0),
  total: lenientInt.default(0),
  expiryTime: lenientInt.default(0),
  enable: z.boolean().default(true),
  inboundId: lenientInt.optional(),
});

/** A traffic row with every key the panel sent. */
export type TrafficRow = z.infer<typeof trafficRowSchema>;

/** `settings` / `streamSettings`: a JSON string (v2), an object (v3) or null; parsed to an object. */
const jsonObjectField = z
  .union([z.string(), z.record(z.string(), z.unknown()), z.null()])
  .optional()
  .transform((value, ctx): Record<string, unknown> => {
    if (value === null || value === undefined || value === '') return {};
    if (typeof value !== 'string') return value;
    try {
      const parsed: unknown = JSON.parse(value);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'expected a JSON object' });
    return z.NEVER;
  });

/** An inbound as `/panel/api/inbounds/list` and `/get/:id` return it. */
export const inboundSchema = z.looseObject({
  id: z.number().int(),
  protocol: z.string(),
  port: z.number().int(),
  listen: z
    .string()
    .nullish()
    .transform((value) => value ?? ''),
  remark: z
    .string()
    .nullish()
    .transform((value) => value ?? ''),
  enable: z.boolean().default(true),
  tag: z
    .string()
    .nullish()
    .transform((value) => value ?? ''),
  settings: jsonObjectField,
  streamSettings: jsonObjectField,
  shareAddr: z.string().optional(),
  shareAddrStrategy: z.string().optional(),
  clientStats: z
    .array(trafficRowSchema)
    .nullish()
    .transform((value) => value ?? []),
});

/** A normalised inbound; `clients` are parsed from `settings.clients`. */
export interface PanelInbound {
  id: number;
  protocol: string;
  port: number;
  listen: string;
  remark: string;
  enable: boolean;
  tag: string;
  settings: Record<string, unknown>;
  streamSettings: Record<string, unknown>;
  shareAddr?: string | undefined;
  shareAddrStrategy?: string | undefined;
  clients: VlessClient[];
  /** Per-client traffic rows of this inbound. */
  clientStats: TrafficRow[];
}

/** The v3 client record inside `/panel/api/clients/get/:email` (`uuid` is the VLESS id). */
export const clientRecordSchema = z.looseObject({
  email: z.string(),
  uuid: z
    .string()
    .nullish()
    .transform((value) => value ?? ''),
  subId: z
    .string()
    .nullish()
    .transform((value) => value ?? ''),
  flow: z
    .string()
    .nullish()
    .transform((value) => value ?? ''),
  limitIp: lenientInt.default(0),
  totalGB: lenientInt.default(0),
  expiryTime: lenientInt.default(0),
  enable: z.boolean().default(true),
  tgId: lenientInt.default(0),
  comment: z
    .string()
    .nullish()
    .transform((value) => value ?? ''),
});

/** The v3 `clients/get/:email` payload. */
export const clientGetPayloadSchema = z.looseObject({
  client: clientRecordSchema,
  inboundIds: z
    .array(z.number().int())
    .nullish()
    .transform((value) => value ?? []),
});

/** Picks the product's client fields out of a stored client. */
export function toVlessClient(stored: StoredClient): VlessClient {
  return {
    id: stored.id,
    email: stored.email,
    flow: stored.flow,
    limitIp: stored.limitIp,
    totalGB: stored.totalGB,
    expiryTime: stored.expiryTime,
    enable: stored.enable,
    tgId: stored.tgId,
    subId: stored.subId,
    comment: stored.comment,
  };
}

/** Picks the traffic fields out of a traffic row. */
export function toClientTraffic(row: TrafficRow): ClientTraffic {
  return { up: row.up, down: row.down, total: row.total, expiryTime: row.expiryTime, enable: row.enable };
}

/**
 * Normalises a parsed inbound: parses `settings.clients` leniently (entries that are not objects
 * are skipped).
 */
export function toPanelInbound(inbound: z.infer<typeof inboundSchema>): PanelInbound {
  const rawClients = Array.isArray(inbound.settings['clients']) ? (inbound.settings['clients'] as unknown[]) : [];
  const clients: VlessClient[] = [];
  for (const raw of rawClients) {
    const parsed = storedClientSchema.safeParse(raw);
    if (parsed.success) clients.push(toVlessClient(parsed.data));
  }
  return {
    id: inbound.id,
    protocol: inbound.protocol,
    port: inbound.port,
    listen: inbound.listen,
    remark: inbound.remark,
    enable: inbound.enable,
    tag: inbound.tag,
    settings: inbound.settings,
    streamSettings: inbound.streamSettings,
    shareAddr: inbound.shareAddr,
    shareAddrStrategy: inbound.shareAddrStrategy,
    clients,
    clientStats: inbound.clientStats,
  };
}
