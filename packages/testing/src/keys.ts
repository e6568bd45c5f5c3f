import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'jose';
import type { AddKeyOptions, TestAlg, TestKey } from './types.js';

/** Every algorithm {@link TestAlg} allows, in a stable order. */
export const TEST_ALGS: readonly TestAlg[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

/** Whether `value` is a supported {@link TestAlg}. */
export function isTestAlg(value: unknown): value is TestAlg {
  return typeof value === 'string' && (TEST_ALGS as readonly string[]).includes(value);
}

/** A held key; `inJwks` is flipped in place so handed-out {@link TestKey}s stay live. */
export type HeldKey = { -readonly [K in keyof TestKey]: TestKey[K] };

/** Builds a kid that is readable in test output yet unique across issuers. */
export function makeKid(alg: TestAlg, n: number): string {
  return `${alg.toLowerCase()}-${n}-${randomBytes(4).toString('hex')}`;
}

const MIN_JOSE_RSA_BITS = 2048;

function isRsa(alg: TestAlg): boolean {
  return alg.startsWith('RS') || alg.startsWith('PS');
}

/** Generates a key pair and its published JWK. */
export async function generateTestKey(
  alg: TestAlg,
  kid: string,
  options: AddKeyOptions & { modulusLength: number },
): Promise<HeldKey> {
  if (!isTestAlg(alg)) throw new TypeError(`Unsupported algorithm: ${String(alg)}`);
  let privateKey: HeldKey['privateKey'];
  let jwk: JWK;
  if (isRsa(alg) && options.modulusLength < MIN_JOSE_RSA_BITS) {
    // jose refuses to create or use RSA keys under 2048 bits, but weak-key
    // rejection is exactly what some tests need to exercise.
    const pair = generateKeyPairSync('rsa', { modulusLength: options.modulusLength });
    privateKey = pair.privateKey;
    jwk = pair.publicKey.export({ format: 'jwk' }) as JWK;
  } else {
    const pair = await generateKeyPair(alg, {
      extractable: true,
      ...(isRsa(alg) ? { modulusLength: options.modulusLength } : {}),
    });
    privateKey = pair.privateKey;
    jwk = await exportJWK(pair.publicKey);
  }
  const published: Record<string, unknown> = {
    ...jwk,
    kid,
    use: options.use ?? 'sig',
    ...(options.includeAlg === false ? {} : { alg }),
    ...options.jwkOverrides,
  };
  // Overrides may set members to undefined to drop them; strip them so the
  // object matches what JSON serialisation will publish.
  for (const [name, value] of Object.entries(published)) {
    if (value === undefined) delete published[name];
  }
  return { kid, alg, publicJwk: published as JWK, privateKey, inJwks: options.inJwks ?? true };
}
