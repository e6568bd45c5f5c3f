/**
 * The attack corpus's replay cases (test/security) with the Redis replay
 * store, through the three adapters over real HTTP and both clients, each
 * case played across two API instances sharing one redis-server: a replayed
 * proof is a 401 `invalid_dpop_proof` with a challenge, never a 5xx, and
 * never reaches the handler; of simultaneous replays exactly one passes.
 */
import { request as httpRequest } from 'node:http';
import type { OutgoingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { redisReplayStore } from '@jwks-auth/redis';
import { createDpopKey, createTestIssuer } from '@jwks-auth/testing';
import type { DpopKey, DpopProofOptions, TestIssuer } from '@jwks-auth/testing';
import { ADAPTERS } from '../../../test/security/harness.js';
import { serveApi } from '../../../test/security/oidc.js';
import type { Api } from '../../../test/security/oidc.js';
import { AUD, ORIGIN } from './api.js';
import { CLIENTS, connect, startRedis } from './redis-server.js';
import type { RedisServer, TestClient } from './redis-server.js';

const PATH = '/messages';
const HTU = `${ORIGIN}${PATH}`;

let server: RedisServer;
let issuer: TestIssuer;
let key: DpopKey;
let other: DpopKey;

beforeAll(async () => {
  server = await startRedis();
  issuer = await createTestIssuer({ algorithms: ['ES256'] });
  key = await createDpopKey('ES256');
  other = await createDpopKey('ES256');
});
afterAll(async () => {
  await issuer.close();
  await server.close();
});

function send(
  url: string,
  headers: OutgoingHttpHeaders,
): Promise<{ status: number; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

const proof = (token: string, extra: Partial<DpopProofOptions> = {}, by = key) =>
  by.proof({ htm: 'GET', htu: HTU, accessToken: token, ...extra });

interface ReplayCase {
  name: string;
  /** The first request (accepted) and the replay (refused), each sent to instance 0 or 1. */
  play(token: string): Promise<Array<{ to: 0 | 1; headers: OutgoingHttpHeaders }>>;
}

const CASES: ReplayCase[] = [
  {
    name: 'the same proof twice on one instance',
    play: async (t) => {
      const h = { authorization: `DPoP ${t}`, dpop: await proof(t) };
      return [
        { to: 0, headers: h },
        { to: 0, headers: h },
      ];
    },
  },
  {
    name: 'the same proof on another instance',
    play: async (t) => {
      const h = { authorization: `DPoP ${t}`, dpop: await proof(t) };
      return [
        { to: 0, headers: h },
        { to: 1, headers: h },
      ];
    },
  },
  {
    name: 'a new proof reusing a used jti (re-signed, later iat), on another instance',
    play: async (t) => [
      {
        to: 0,
        headers: { authorization: `DPoP ${t}`, dpop: await proof(t, { jti: `j-${t.slice(-12)}` }) },
      },
      {
        to: 1,
        headers: {
          authorization: `DPoP ${t}`,
          dpop: await proof(t, {
            jti: `j-${t.slice(-12)}`,
            iat: Math.floor(Date.now() / 1000) + 1,
          }),
        },
      },
    ],
  },
  {
    name: 'the same proof with another token of the same key (ath differs, refused anyway)',
    play: async (t) => {
      const p = await proof(t);
      const second = await issuer.sign({}, { boundTo: key });
      return [
        { to: 0, headers: { authorization: `DPoP ${t}`, dpop: p } },
        { to: 1, headers: { authorization: `DPoP ${second}`, dpop: p } },
      ];
    },
  },
];

const options = (replay: ReturnType<typeof redisReplayStore>) => ({
  issuer: issuer.issuer,
  jwksUri: issuer.jwksUri,
  audience: AUD,
  dpop: { origin: ORIGIN, replay },
});

describe.each(CLIENTS.flatMap((client) => ADAPTERS.map((adapter) => [client, adapter] as const)))(
  'with %s, through %s',
  (client, adapter) => {
    let conn: TestClient;
    let apis: Api[];
    let reached = 0;
    const respond = () => {
      reached += 1;
      return { ok: true };
    };
    beforeAll(async () => {
      conn = await connect(client, server);
      const prefix = `${client}-${adapter}:`;
      apis = [
        await serveApi(adapter, options(redisReplayStore(conn.client, { prefix })), respond),
        await serveApi(adapter, options(redisReplayStore(conn.client, { prefix })), respond),
      ];
    });
    afterAll(async () => {
      for (const api of apis) await api.close();
      await conn.close();
    });

    it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, replay) => {
      const token = await issuer.sign({}, { boundTo: key });
      const [first, again] = await replay.play(token);
      const before = reached;
      expect((await send(`${apis[first!.to]!.base}${PATH}`, first!.headers)).status).toBe(200);
      const res = await send(`${apis[again!.to]!.base}${PATH}`, again!.headers);
      expect(res.status).toBe(401);
      expect(String(res.headers['www-authenticate'])).toMatch(/^DPoP .*error="invalid_dpop_proof"/);
      expect(reached).toBe(before + 1);
    });

    it('ten simultaneous sends of one proof across both instances: exactly one passes', async () => {
      const token = await issuer.sign({}, { boundTo: key });
      const headers = { authorization: `DPoP ${token}`, dpop: await proof(token) };
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => send(`${apis[i % 2]!.base}${PATH}`, headers)),
      );
      expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
      expect(answers.filter((a) => a.status === 401)).toHaveLength(9);
    });

    it('the same jti from another key is not a replay (control: entries are per key)', async () => {
      const token = await issuer.sign({}, { boundTo: key });
      const theirs = await issuer.sign({}, { boundTo: other });
      const jti = `shared-${client}-${adapter}`;
      const mine = { authorization: `DPoP ${token}`, dpop: await proof(token, { jti }) };
      const yours = { authorization: `DPoP ${theirs}`, dpop: await proof(theirs, { jti }, other) };
      expect((await send(`${apis[0]!.base}${PATH}`, mine)).status).toBe(200);
      expect((await send(`${apis[1]!.base}${PATH}`, yours)).status).toBe(200);
    });
  },
);
