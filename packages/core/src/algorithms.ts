/**
 * The JWS algorithms jwks-auth verifies, as one table: for each, the key it
 * needs and how its signature is checked. The list of algorithms, option
 * validation, key judging and the signature checks all derive from it.
 */

/** A `node:crypto` digest name. */
export type Digest = 'sha256' | 'sha384' | 'sha512';

/** Output size of each digest in bytes, which is also the RSASSA-PSS salt length (RFC 7518 §3.5). */
export const DIGEST_BYTES: Readonly<Record<Digest, number>> = {
  sha256: 32,
  sha384: 48,
  sha512: 64,
};

/**
 * One row of the table (RFC 7518 §3, RFC 8037 §3.1, RFC 9864). For EC and
 * OKP keys, `bytes` is the size of each JWK coordinate (`x`, and `y` for EC),
 * and a signature is exactly two such values: r||s (RFC 7518 §3.4) or R||S
 * (RFC 8032 §5.1.6).
 */
export type AlgorithmSpec =
  | {
      readonly alg: string;
      /** RSASSA. */
      readonly kty: 'RSA';
      readonly hash: Digest;
      /** PSS padding (salt as long as the digest) when true, PKCS #1 v1.5 otherwise. */
      readonly pss: boolean;
    }
  | {
      readonly alg: string;
      /** ECDSA. */
      readonly kty: 'EC';
      readonly crv: 'P-256' | 'P-384' | 'P-521';
      readonly hash: Digest;
      readonly bytes: number;
    }
  | {
      readonly alg: string;
      /** EdDSA, which hashes as part of the scheme. */
      readonly kty: 'OKP';
      readonly crv: 'Ed25519';
      readonly hash: null;
      readonly bytes: number;
    };

const TABLE = [
  { alg: 'RS256', kty: 'RSA', hash: 'sha256', pss: false },
  { alg: 'RS384', kty: 'RSA', hash: 'sha384', pss: false },
  { alg: 'RS512', kty: 'RSA', hash: 'sha512', pss: false },
  { alg: 'PS256', kty: 'RSA', hash: 'sha256', pss: true },
  { alg: 'PS384', kty: 'RSA', hash: 'sha384', pss: true },
  { alg: 'PS512', kty: 'RSA', hash: 'sha512', pss: true },
  { alg: 'ES256', kty: 'EC', crv: 'P-256', hash: 'sha256', bytes: 32 },
  { alg: 'ES384', kty: 'EC', crv: 'P-384', hash: 'sha384', bytes: 48 },
  { alg: 'ES512', kty: 'EC', crv: 'P-521', hash: 'sha512', bytes: 66 },
  { alg: 'EdDSA', kty: 'OKP', crv: 'Ed25519', hash: null, bytes: 32 },
  { alg: 'Ed25519', kty: 'OKP', crv: 'Ed25519', hash: null, bytes: 32 },
] as const satisfies readonly AlgorithmSpec[];

/** One of {@link SUPPORTED_ALGORITHMS}. */
export type Algorithm = (typeof TABLE)[number]['alg'];

/** The `alg` column of a table, as a tuple in row order. */
type AlgColumn<T> = { readonly [K in keyof T]: T[K] extends { readonly alg: infer A } ? A : never };

/** `map` over a tuple gives an array: the cast restores the tuple, as `as const` gave it before. */
function algColumn<T extends readonly AlgorithmSpec[]>(table: T): AlgColumn<T> {
  return table.map((spec) => spec.alg) as readonly string[] as AlgColumn<T>;
}

/** Asymmetric JWS algorithms jwks-auth can verify. HS* and `none` are refused. */
export const SUPPORTED_ALGORITHMS = algColumn(TABLE);

/** Each row of the table under its `alg`. */
type Rows = { readonly [S in (typeof TABLE)[number] as S['alg']]: S };

/** Each algorithm's row of the table, by name (a plain object built once, at module load). */
export const ALGORITHMS = Object.fromEntries(TABLE.map((spec) => [spec.alg, spec])) as Rows;

/** The algorithms a key of JWK type `kty` verifies, in table order. */
export function algorithmsFor(kty: AlgorithmSpec['kty']): Algorithm[] {
  return SUPPORTED_ALGORITHMS.filter((alg) => ALGORITHMS[alg].kty === kty);
}
