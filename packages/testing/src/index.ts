/**
 * @jwks-auth/testing: a real local issuer for tests and demos. Never use it
 * as a production issuer: it binds 127.0.0.1, keeps throwaway keys in memory
 * and signs whatever it is asked to.
 *
 * @packageDocumentation
 */
export { createTestIssuer, DEFAULT_RSA_MODULUS_LENGTH, DEFAULT_TYP } from './issuer.js';
export { createKeySetServer } from './key-set-server.js';
export { createDpopKey, DPOP_TYP } from './dpop.js';
export { certificateThumbprint } from './confirmation.js';
export { TEST_ALGS, isTestAlg } from './keys.js';
export { DEFAULT_CLAIMS, DEFAULT_EXPIRES_IN } from './sign.js';
export { DEFAULT_OVERSIZED_BYTES } from './faults.js';
export { DEFAULT_WAIT_TIMEOUT_MS } from './counters.js';
export type {
  AddKeyOptions,
  Confirmation,
  DpopKey,
  DpopProofOptions,
  FailOptions,
  FaultMode,
  FaultTarget,
  KeySetServer,
  RequestCounts,
  RequestKind,
  RotateOptions,
  SignOptions,
  TestAlg,
  TestIssuer,
  TestIssuerOptions,
  TestKey,
} from './types.js';
