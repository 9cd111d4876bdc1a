/** Public surface of the Crypto Pay provider. */
export { createCryptoPayProvider, type CryptoPayProviderOptions } from './cryptopay-provider';
export { CRYPTO_PAY_DEFAULT_BASE_URL } from './cryptopay-http';
export { CRYPTO_PAY_SIGNATURE_HEADER, cryptoPaySignature, verifyCryptoPaySignature } from './cryptopay-signature';
export type { CryptoPayInvoice, CryptoPayUpdate } from './cryptopay-schemas';
