/** A small Express API for the tests: jwks-auth in front of one route, answering through supertest. */
import type { VerifierOptions } from '@jwks-auth/core';
import { jwksAuth } from '@jwks-auth/express';
import type { JwksAuthOptions } from '@jwks-auth/express';
import type { DpopKey, TestIssuer } from '@jwks-auth/testing';
import express from 'express';

export const AUD = 'https://api.example.test';
/** The public origin the APIs are configured with, so proofs do not depend on supertest's port. */
export const ORIGIN = 'https://api.example.test';

export interface Api {
  app: express.Express;
  /** Requests that reached the handler. */
  reached: number;
  close(): void;
}

export function createApi(options: Omit<VerifierOptions, 'audience'>): Api {
  const app = express();
  const auth = jwksAuth({ audience: AUD, ...options } as JwksAuthOptions);
  const api: Api = { app, reached: 0, close: () => auth.verifier.close() };
  app.use(auth);
  app.get('/orders', (req, res) => {
    api.reached += 1;
    res.json({ sub: req.auth?.payload.sub ?? null });
  });
  return api;
}

/** Headers of a DPoP request to `/orders`: a fresh bound token (unless given) and a fresh proof. */
export async function dpopHeaders(
  issuer: TestIssuer,
  key: DpopKey,
  token?: string,
): Promise<{ authorization: string; dpop: string }> {
  const bound = token ?? (await issuer.sign({}, { boundTo: key }));
  const proof = await key.proof({ htm: 'GET', htu: `${ORIGIN}/orders`, accessToken: bound });
  return { authorization: `DPoP ${bound}`, dpop: proof };
}

/** Retries `check` until it passes or `ms` elapse (a client reconnecting after an outage). */
export async function eventually(check: () => Promise<void>, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
