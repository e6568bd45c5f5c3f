import { X509Certificate, createHash } from 'node:crypto';
import type { Confirmation, DpopKey } from './types.js';

/**
 * The RFC 8705 §3.1 certificate thumbprint: base64url(SHA-256(DER certificate)), the value a
 * certificate-bound access token carries as `cnf['x5t#S256']`.
 *
 * @param cert - A PEM certificate (the first one of a PEM chain), a base64 DER string as in a JWK
 *   `x5c` entry, DER or PEM bytes, or an `X509Certificate`.
 * @throws TypeError when `cert` is not an X.509 certificate.
 *
 * @example
 * ```ts
 * const token = await issuer.sign({}, { boundTo: { 'x5t#S256': certificateThumbprint(clientPem) } });
 * ```
 */
export function certificateThumbprint(cert: string | Uint8Array | X509Certificate): string {
  return createHash('sha256').update(certificateDer(cert)).digest('base64url');
}

function certificateDer(cert: string | Uint8Array | X509Certificate): Buffer {
  if (cert instanceof X509Certificate) return cert.raw;
  let input: Buffer;
  if (typeof cert === 'string') {
    input = cert.includes('-----BEGIN') ? Buffer.from(cert) : Buffer.from(cert, 'base64');
  } else if (ArrayBuffer.isView(cert)) {
    input = Buffer.from(cert.buffer, cert.byteOffset, cert.byteLength);
  } else {
    throw new TypeError('certificateThumbprint expects a string, bytes or an X509Certificate');
  }
  try {
    // Parsing, rather than hashing the decoded bytes, rejects anything that
    // is not a certificate and normalises PEM to its DER.
    return new X509Certificate(input).raw;
  } catch (cause) {
    throw new TypeError('Not an X.509 certificate (PEM, base64 DER or DER bytes expected)', {
      cause,
    });
  }
}

/** Whether `value` looks like a {@link DpopKey} (a string `thumbprint` and a `proof` method). */
export function isDpopKey(value: unknown): value is DpopKey {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Partial<DpopKey>;
  return typeof candidate.thumbprint === 'string' && typeof candidate.proof === 'function';
}

/** The `cnf` claim for `SignOptions.boundTo`: `{ jkt }` for a DPoP key, else a copy. */
export function confirmationClaim(boundTo: DpopKey | Confirmation): Record<string, unknown> {
  if (boundTo === null || typeof boundTo !== 'object' || Array.isArray(boundTo)) {
    throw new TypeError(
      "boundTo must be a DpopKey or a cnf object such as { jkt } or { 'x5t#S256' }",
    );
  }
  if (isDpopKey(boundTo)) return { jkt: boundTo.thumbprint };
  const cnf: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(boundTo)) {
    if (value !== undefined) cnf[name] = value;
  }
  return cnf;
}
