/** Public surface of the fake YooKassa. */
export {
  startFakeYooKassa,
  type FakeYooKassa,
  type FakeYooKassaCall,
  type FakeYooKassaControls,
  type FakeYooKassaFailure,
  type FakeYooKassaOptions,
} from './fake-yookassa';
export type { FakePaymentJson, FakeRefundJson, FakeYooKassaState } from './fake-yookassa-state';
