/** Public surface of the local sandbox payment provider. */
export { createSandboxProvider, type SandboxProviderOptions } from './sandbox-provider';
export { SANDBOX_SIGNATURE_HEADER, type SandboxInvoice } from './sandbox-schemas';
