/** Public surface of the fake Crypto Pay. */
export {
  startFakeCryptoPay,
  type FakeCryptoPay,
  type FakeCryptoPayCall,
  type FakeCryptoPayControls,
  type FakeCryptoPayFailure,
  type FakeCryptoPayOptions,
} from './fake-cryptopay';
export type { FakeCryptoPayState, FakeInvoiceJson } from './fake-cryptopay-methods';
