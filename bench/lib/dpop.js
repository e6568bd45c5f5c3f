// DPoP requests for the benchmark: one DPoP-bound access token and `count`
// distinct proofs for GET http://bench.local/hello (a proof is single use:
// the verifier keeps its jti). Written one request per line, "token<TAB>proof",
// which wrk-tokens.lua sends as Authorization: DPoP + DPoP headers with
// Host: bench.local.
import { writeFileSync } from 'node:fs';
import { createDpopKey } from '@jwks-auth/testing';

export const DPOP_HOST = 'bench.local';
export const DPOP_HTU = `http://${DPOP_HOST}/hello`;

export async function writeDpopRequests({ issuer, audience, count, file }) {
  const key = await createDpopKey('ES256');
  const token = await issuer.sign(
    { aud: audience, client_id: 'bench-client' },
    { alg: 'ES256', boundTo: key, expiresIn: 7200 },
  );
  const lines = new Array(count);
  for (let i = 0; i < count; i += 1) {
    lines[i] = `${token}\t${await key.proof({ htm: 'GET', htu: DPOP_HTU, accessToken: token })}`;
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { file, count, token };
}
