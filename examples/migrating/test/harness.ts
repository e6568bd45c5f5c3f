/**
 * Runs a before or an after app through its framework's own test entry point
 * (supertest for Express and Koa, `fastify.inject` for Fastify) and reduces
 * each response to what the guides compare: status, `WWW-Authenticate` and body.
 */
import type { Express } from 'express';
import type { FastifyInstance } from 'fastify';
import type Koa from 'koa';
import request from 'supertest';
import type { TestIssuer } from '@jwks-auth/testing';
import type { Body, CaseName, Observed } from '../src/outcomes.js';

export interface Runner {
  send(path: string, headers: Record<string, string>): Promise<Observed>;
  close(): Promise<void>;
}

const ENTITIES: Record<string, string> = {
  '&quot;': '"',
  '&#39;': "'",
  '&lt;': '<',
  '&gt;': '>',
  '&amp;': '&',
};

/**
 * An HTML body as the guides quote it: Express's error page reduced to its
 * first line (`Name: message`, before the stack trace), entities decoded, and
 * the issuer's random port written `PORT`.
 */
function htmlText(html: string): string {
  const pre = /<pre>(.*?)(?:<br>|<\/pre>)/s.exec(html)?.[1] ?? html;
  return pre
    .replace(/&(?:quot|#39|lt|gt|amp);/g, (e) => ENTITIES[e] ?? e)
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT');
}

function bodyOf(contentType: string | undefined, text: string): Body {
  if (contentType?.startsWith('application/json')) return { json: JSON.parse(text) as unknown };
  if (contentType?.startsWith('text/html')) return { html: htmlText(text) };
  return { text };
}

function observed(status: number, headers: Record<string, unknown>, text: string): Observed {
  const challenge = headers['www-authenticate'];
  const retryAfter = headers['retry-after'];
  return {
    status,
    challenge: typeof challenge === 'string' ? challenge : null,
    retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
    body: bodyOf(headers['content-type'] as string | undefined, text),
  };
}

/** Express and Koa apps through supertest. */
export function supertestRunner(app: Express | Koa): Runner {
  const handler = 'callback' in app ? app.callback() : app;
  return {
    async send(path, headers) {
      const res = await request(handler).get(path).set(headers);
      return observed(res.status, res.headers, res.text);
    },
    close: async () => undefined,
  };
}

/** Fastify apps through `inject`. */
export function injectRunner(app: FastifyInstance): Runner {
  return {
    async send(url, headers) {
      const res = await app.inject({ method: 'GET', url, headers });
      return observed(res.statusCode, res.headers, res.body);
    },
    close: () => app.close(),
  };
}

const now = (): number => Math.floor(Date.now() / 1000);
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The request each row of the guides sends, against the shared issuer. */
export interface CaseRequest {
  path: string;
  headers: Record<string, string>;
}

export async function requestFor(
  name: Exclude<CaseName, 'identity provider down'>,
  issuer: TestIssuer,
  audience: string,
): Promise<CaseRequest> {
  const me = (headers: Record<string, string>): CaseRequest => ({ path: '/me', headers });
  switch (name) {
    case 'valid token':
      return me(bearer(await issuer.sign({ aud: audience })));
    case 'scope granted':
      return { path: '/messages', headers: bearer(await issuer.sign({ aud: audience })) };
    case 'insufficient scope':
      return {
        path: '/messages',
        headers: bearer(await issuer.sign({ aud: audience, scope: 'profile' })),
      };
    case 'no token':
      return me({});
    case 'not Bearer':
      return me({ authorization: 'Basic dXNlcjpwYXNz' });
    case 'expired':
      return me(bearer(await issuer.sign({ aud: audience, exp: now() - 60 })));
    case 'wrong audience':
      return me(bearer(await issuer.sign({ aud: 'https://other.example.test' })));
    case 'wrong issuer':
      return me(bearer(await issuer.sign({ aud: audience, iss: 'https://evil.example.test' })));
    case 'bad signature': {
      const [header, , signature] = (await issuer.sign({ aud: audience })).split('.');
      const forged = b64({ iss: issuer.issuer, aud: audience, sub: 'admin', exp: now() + 300 });
      return me(bearer(`${header}.${forged}.${signature}`));
    }
    case 'alg none': {
      const claims = { iss: issuer.issuer, aud: audience, sub: 'admin', exp: now() + 300 };
      return me(bearer(`${b64({ alg: 'none', typ: 'at+jwt' })}.${b64(claims)}.`));
    }
    case 'unknown kid':
      return me(bearer(await issuer.sign({ aud: audience }, { header: { kid: 'unknown-kid' } })));
    case 'not a JWT':
      return me(bearer('not-a-jwt'));
  }
}
