import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { X509Certificate, createHash, webcrypto } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EmbeddedJWK,
  base64url,
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  importJWK,
  jwtVerify,
} from 'jose';
import { DPOP_TYP, certificateThumbprint, createDpopKey, createTestIssuer } from '../src/index.js';
import type { DpopKey, TestAlg, TestIssuer } from '../src/index.js';

const HTU = 'https://api.example.test/messages';

function verifyProof(proof: string, algorithms: string[]) {
  return jwtVerify(proof, EmbeddedJWK, { typ: DPOP_TYP, algorithms });
}

describe('createDpopKey', () => {
  let dpop: DpopKey;

  beforeAll(async () => {
    dpop = await createDpopKey();
  });

  it('defaults to ES256 with a public-only jwk and its RFC 7638 thumbprint', async () => {
    expect(dpop.alg).toBe('ES256');
    expect(Object.keys(dpop.publicJwk).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    expect(dpop.publicJwk).toMatchObject({ kty: 'EC', crv: 'P-256' });
    expect(dpop.thumbprint).toBe(await calculateJwkThumbprint(dpop.publicJwk, 'sha256'));
    expect(dpop.thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(dpop.privateKey.type).toBe('private');
  });

  it('rejects an unsupported algorithm', async () => {
    await expect(createDpopKey('HS256' as TestAlg)).rejects.toThrow(TypeError);
  });

  it.each<[TestAlg, string[]]>([
    ['ES256', ['crv', 'kty', 'x', 'y']],
    ['RS256', ['e', 'kty', 'n']],
    ['PS256', ['e', 'kty', 'n']],
    ['EdDSA', ['crv', 'kty', 'x']],
  ])('%s proofs verify with the embedded jwk', async (alg, members) => {
    const key = alg === 'ES256' ? dpop : await createDpopKey(alg);
    expect(Object.keys(key.publicJwk).sort()).toEqual(members);
    expect(key.thumbprint).toBe(await calculateJwkThumbprint(key.publicJwk, 'sha256'));
    const proof = await key.proof({ htm: 'GET', htu: HTU });
    const { payload, protectedHeader } = await verifyProof(proof, [alg]);
    expect(protectedHeader).toEqual({ typ: DPOP_TYP, alg, jwk: key.publicJwk });
    expect(payload).toMatchObject({ htm: 'GET', htu: HTU });
  });

  it('signs the RFC 9449 claims: htm, htu, iat now and a fresh jti', async () => {
    const now = Math.floor(Date.now() / 1000);
    const proof = await dpop.proof({ htm: 'POST', htu: HTU });
    const claims = decodeJwt(proof);
    expect(Object.keys(claims).sort()).toEqual(['htm', 'htu', 'iat', 'jti']);
    expect(claims).toMatchObject({ htm: 'POST', htu: HTU });
    expect(Math.abs((claims.iat ?? 0) - now)).toBeLessThanOrEqual(2);
    expect(claims.jti).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(decodeJwt(await dpop.proof({ htm: 'POST', htu: HTU })).jti).not.toBe(claims.jti);
  });

  it('adds ath = base64url(SHA-256(access token)) and the nonce when given', async () => {
    // The access token and ath of the example in RFC 9449 §7.1.
    const accessToken = 'Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU';
    const proof = await dpop.proof({ htm: 'GET', htu: HTU, accessToken, nonce: 'n-1' });
    const { payload } = await verifyProof(proof, ['ES256']);
    expect(payload.ath).toBe('fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo');
    expect(payload.ath).toBe(createHash('sha256').update(accessToken).digest('base64url'));
    expect(payload.nonce).toBe('n-1');
  });

  it('takes explicit iat, jti and typ', async () => {
    const proof = await dpop.proof({ htm: 'GET', htu: HTU, iat: 1000, jti: 'fixed', typ: 'JWT' });
    expect(decodeProtectedHeader(proof).typ).toBe('JWT');
    expect(decodeJwt(proof)).toMatchObject({ iat: 1000, jti: 'fixed' });
  });

  it('forges proofs: extra claims and header members, omitted claims, dropped jwk', async () => {
    const proof = await dpop.proof({
      htm: 'GET',
      htu: HTU,
      extraClaims: { htm: 'DELETE', extra: 1 },
      extraHeader: { kid: 'k1', jwk: undefined },
      omit: ['jti', 'iat'],
    });
    expect(decodeJwt(proof)).toEqual({ htm: 'DELETE', htu: HTU, extra: 1 });
    expect(decodeProtectedHeader(proof)).toEqual({ typ: DPOP_TYP, alg: 'ES256', kid: 'k1' });
  });

  it('puts a private jwk in the header when asked, which EmbeddedJWK refuses', async () => {
    const privateJwk = await exportJWK(dpop.privateKey);
    const proof = await dpop.proof({ htm: 'GET', htu: HTU, jwk: privateJwk });
    expect(decodeProtectedHeader(proof).jwk).toHaveProperty('d');
    await expect(verifyProof(proof, ['ES256'])).rejects.toThrow(/public key/);
  });

  it('an alg the key cannot sign with changes only the header value', async () => {
    const proof = await dpop.proof({ htm: 'GET', htu: HTU, alg: 'ES384' });
    expect(decodeProtectedHeader(proof).alg).toBe('ES384');
    await expect(verifyProof(proof, ['ES384'])).rejects.toThrow();
    // The signature is still a genuine ES256 one over the forged header.
    const [header, payload, signature] = proof.split('.') as [string, string, string];
    const publicKey = await importJWK(dpop.publicJwk, 'ES256');
    const valid = await webcrypto.subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' },
      publicKey as webcrypto.CryptoKey,
      base64url.decode(signature),
      new TextEncoder().encode(`${header}.${payload}`),
    );
    expect(valid).toBe(true);
  });

  it('an alg the key can sign with is used for the signature', async () => {
    const rsa = await createDpopKey('RS256');
    const proof = await rsa.proof({ htm: 'GET', htu: HTU, alg: 'PS384' });
    expect((await verifyProof(proof, ['PS384'])).protectedHeader.alg).toBe('PS384');
    const ed = await createDpopKey('EdDSA');
    const edProof = await ed.proof({ htm: 'GET', htu: HTU, alg: 'Ed25519' });
    expect((await verifyProof(edProof, ['Ed25519'])).protectedHeader.alg).toBe('Ed25519');
  });

  it('requires htm and htu', async () => {
    await expect(dpop.proof({ htu: HTU } as never)).rejects.toThrow(TypeError);
  });
});

describe('bound tokens', () => {
  let issuer: TestIssuer;
  let dpop: DpopKey;

  beforeAll(async () => {
    [issuer, dpop] = await Promise.all([
      createTestIssuer({ algorithms: ['ES256'] }),
      createDpopKey(),
    ]);
  });
  afterAll(() => issuer.close());

  it('boundTo a DpopKey sets cnf.jkt to its thumbprint', async () => {
    const token = await issuer.sign({}, { boundTo: dpop });
    const { payload } = await jwtVerify(token, createLocalJWKSet(issuer.jwks()), {
      issuer: issuer.issuer,
    });
    expect(payload.cnf).toEqual({ jkt: dpop.thumbprint });
  });

  it('boundTo a confirmation object copies it', async () => {
    const cnf = { 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' };
    expect(decodeJwt(await issuer.sign({}, { boundTo: cnf })).cnf).toEqual(cnf);
    expect(decodeJwt(await issuer.sign({}, { boundTo: { jkt: 'abc' } })).cnf).toEqual({
      jkt: 'abc',
    });
  });

  it('a cnf claim is signed as given and wins over boundTo', async () => {
    const cnf = { jkt: 'from-claims' };
    expect(decodeJwt(await issuer.sign({ cnf })).cnf).toEqual(cnf);
    expect(decodeJwt(await issuer.sign({ cnf }, { boundTo: dpop })).cnf).toEqual(cnf);
    expect(decodeJwt(await issuer.sign({ cnf: undefined }, { boundTo: dpop }))).not.toHaveProperty(
      'cnf',
    );
  });

  it('tokens are unbound by default and boundTo must be an object', async () => {
    expect(decodeJwt(await issuer.sign())).not.toHaveProperty('cnf');
    await expect(issuer.sign({}, { boundTo: 'abc' as never })).rejects.toThrow(TypeError);
  });
});

describe('certificateThumbprint', () => {
  const openssl = opensslVersion();
  const withOpenssl = openssl ? it : it.skip;

  withOpenssl(
    `is base64url(SHA-256(DER))${openssl ? '' : ' (skipped: no openssl on PATH, and node:crypto cannot create X.509 certificates)'}`,
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'jwks-auth-cert-'));
      try {
        const [pem, der] = selfSignedCertificate(dir, 'a');
        const expected = createHash('sha256').update(der).digest('base64url');
        // An independent computation: openssl's own SHA-256 fingerprint.
        const fingerprint = execFileSync(
          'openssl',
          ['x509', '-in', join(dir, 'a.pem'), '-noout', '-fingerprint', '-sha256'],
          { encoding: 'utf8' },
        );
        const hex = /=([0-9A-F:]+)/i.exec(fingerprint)?.[1]?.replace(/:/g, '') ?? '';
        expect(Buffer.from(hex, 'hex').toString('base64url')).toBe(expected);

        expect(certificateThumbprint(pem)).toBe(expected);
        expect(certificateThumbprint(Buffer.from(pem))).toBe(expected);
        expect(certificateThumbprint(der)).toBe(expected);
        expect(certificateThumbprint(new Uint8Array(der))).toBe(expected);
        expect(certificateThumbprint(der.toString('base64'))).toBe(expected);
        expect(certificateThumbprint(new X509Certificate(pem))).toBe(expected);
        // A PEM chain: the first certificate is the client's.
        const [other] = selfSignedCertificate(dir, 'b');
        expect(certificateThumbprint(pem + other)).toBe(expected);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it('rejects what is not a certificate', () => {
    expect(() => certificateThumbprint('not a certificate')).toThrow(TypeError);
    expect(() => certificateThumbprint(Buffer.from('junk'))).toThrow(TypeError);
    expect(() =>
      certificateThumbprint('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'),
    ).toThrow(TypeError);
  });
});

function opensslVersion(): string | undefined {
  try {
    return execFileSync('openssl', ['version'], { encoding: 'utf8', stdio: 'pipe' }).trim();
  } catch {
    return undefined;
  }
}

/** A throwaway self-signed certificate as [PEM, DER], made by the openssl CLI. */
function selfSignedCertificate(dir: string, name: string): [string, Buffer] {
  const pemPath = join(dir, `${name}.pem`);
  const derPath = join(dir, `${name}.der`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(dir, `${name}.key`),
      '-out',
      pemPath,
      '-subj',
      `/CN=jwks-auth-test-${name}`,
      '-days',
      '1',
    ],
    { stdio: 'pipe' },
  );
  execFileSync('openssl', ['x509', '-in', pemPath, '-outform', 'DER', '-out', derPath], {
    stdio: 'pipe',
  });
  return [readFileSync(pemPath, 'utf8'), readFileSync(derPath)];
}
