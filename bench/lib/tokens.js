// Token minting for the bench. Tokens are real JWS compact tokens signed with
// node:crypto (KeyObject) using the private keys of the local test issuer, so
// every verifier checks them against the same published JWKS.
import { createHash, createPrivateKey, KeyObject, sign } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { Worker } from 'node:worker_threads';

const b64 = (value) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A signing key description that can cross a worker boundary. */
export function signingKey(testKey) {
  const keyObject =
    testKey.privateKey instanceof KeyObject
      ? testKey.privateKey
      : KeyObject.from(testKey.privateKey);
  return {
    alg: testKey.alg,
    kid: testKey.kid,
    pem: keyObject.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

/**
 * Mints `count` tokens numbered `start..start+count-1` (the number goes into
 * `jti` and `sub`, so every token is distinct). `claims` are merged last.
 */
export function mintTokens({
  key,
  issuer,
  audience,
  start = 0,
  count,
  prefix = 't',
  lifetime = 3600,
  claims = {},
}) {
  const keyObject = key.keyObject ?? createPrivateKey(key.pem);
  const header = b64({ alg: key.alg, kid: key.kid, typ: 'at+jwt' });
  const now = Math.floor(Date.now() / 1000);
  const options = key.alg.startsWith('ES')
    ? { key: keyObject, dsaEncoding: 'ieee-p1363' }
    : keyObject;
  const out = new Array(count);
  for (let i = 0; i < count; i += 1) {
    const n = start + i;
    const payload = b64({
      iss: issuer,
      sub: `user-${n % 10_000}`,
      aud: audience,
      client_id: 'bench-client',
      scope: 'read:messages',
      iat: now,
      exp: now + lifetime,
      jti: `${prefix}-${n}`,
      ...claims,
    });
    const input = `${header}.${payload}`;
    out[i] = `${input}.${sign('sha256', Buffer.from(input), options).toString('base64url')}`;
  }
  return out;
}

/**
 * Signs `count` tokens using up to `threads` worker threads; resolves the
 * tokens in order. Used before any measurement, so using every core is fine.
 */
export async function mintParallel({
  key,
  issuer,
  audience,
  count,
  prefix,
  lifetime,
  threads = os.availableParallelism(),
}) {
  const workers = Math.max(1, Math.min(threads, Math.ceil(count / 500)));
  const per = Math.ceil(count / workers);
  const parts = await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      const start = w * per;
      const n = Math.max(0, Math.min(per, count - start));
      return runWorker({
        key: { alg: key.alg, kid: key.kid, pem: key.pem },
        issuer,
        audience,
        start,
        count: n,
        prefix,
        lifetime,
      });
    }),
  );
  return parts.flat();
}

function runWorker(job) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./sign-worker.js', import.meta.url), { workerData: job });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`sign worker exited with ${code}`));
    });
  });
}

/** Writes tokens one per line. */
export async function writeTokenFile(path, tokens) {
  await writeFile(path, `${tokens.join('\n')}\n`);
  return path;
}

/** A token with one signature character changed: well-formed, but must be rejected. */
export function tamper(token) {
  const dot = token.lastIndexOf('.');
  const at = dot + 1 + Math.floor((token.length - dot - 1) / 2);
  const c = token[at];
  return token.slice(0, at) + (c === 'A' ? 'B' : 'A') + token.slice(at + 1);
}

/** Short fingerprint of a token list (to show two runs used the same tokens). */
export function fingerprint(tokens) {
  return createHash('sha256').update(tokens.join('\n')).digest('hex').slice(0, 12);
}
