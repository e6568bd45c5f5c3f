/**
 * Self-signed P-256 certificates made with `openssl` for the certificate-bound
 * token tests (RFC 8705): one temp folder, one certificate per name, valid
 * for 127.0.0.1 so they also serve HTTPS on loopback.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Certificate {
  cert: string;
  key: string;
}

/** Makes a certificate per name; `remove()` deletes the folder they were written to. */
export function makeCertificates<N extends string>(
  names: readonly N[],
): Record<N, Certificate> & { remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'jwks-auth-certs-'));
  const made = {} as Record<N, Certificate>;
  for (const name of names) {
    const [key, cert] = [join(dir, `${name}.key`), join(dir, `${name}.pem`)];
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        `/CN=${name}`,
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    made[name] = { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
  }
  return Object.assign(made, { remove: () => rmSync(dir, { recursive: true, force: true }) });
}
