/** Public surface of the fake 3X-UI panel. */
export {
  startFakePanel,
  type FailureKind,
  type FakePanel,
  type FakePanelControls,
  type FakePanelOptions,
  type RecordedCall,
} from './fake-panel';
export type { FakePanelState, StoredClientJson, TrafficRowJson } from './fake-panel-state';
export {
  allStreamTypeInbounds,
  externalProxyInbound,
  grpcTlsInbound,
  httpUpgradeInbound,
  realityTcpInbound,
  tcpHttpInbound,
  wsTlsInbound,
  xhttpRealityInbound,
  REALITY_PUBLIC_KEY,
  type StoredInbound,
} from './seed-inbounds';
