/**
 * Public surface of the 3X-UI integration: the panel client (and its resolver from server rows,
 * per-panel write queues and TLS trust for self-signed panels),
 * idempotent client provisioning, share links, QR codes and subscription responses.
 */
export {
  createPanelClient,
  type PanelClient,
  type PanelClientOptions,
  type PanelProbe,
  type PanelApiVersion,
  type PanelLogger,
} from './panel-client';
export type { ClientState, PanelOps } from './panel-ops';
export { createPanelWriteQueues, type PanelWriteQueues } from './panel-writes';
export { normalizeFingerprint, type PanelTlsOptions } from './panel-tls-fetch';
export type { ClientTraffic, PanelInbound, VlessClient } from './panel-schemas';
export {
  PanelAuthError,
  PanelError,
  PanelErrorCode,
  PanelNotConfiguredError,
  PanelNotFoundError,
  PanelRejectedError,
  PanelUnavailableError,
  isPanelError,
  type PanelUnavailableReason,
} from './panel-errors';
export { ensureClient, sameClient, type EnsureClientAction, type EnsureClientResult } from './ensure-client';
export { deriveClientIdentity, type ClientIdentity } from './derive-client-identity';
export { buildVlessLink, type BuildVlessLinkInput, type LinkClient, type LinkInbound } from './vless-link';
export { parseVlessLink, type ParsedVlessLink } from './parse-vless-link';
export { renderQrBase64, renderQrPng, type QrOptions } from './render-qr';
export { buildSubscriptionBody, buildSubscriptionHeaders, type SubscriptionHeadersInput } from './subscription-response';
