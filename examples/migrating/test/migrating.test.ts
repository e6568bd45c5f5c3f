/**
 * The migration guides' promise, tested: each peer's "before" app and its
 * jwks-auth "after" app get the same requests against the same real local
 * issuer, and each answers exactly what src/outcomes-data.ts records. Rows
 * where the two differ are the guide's "What changes" table, which each guide
 * embeds verbatim (checked below; `UPDATE_MIGRATING_DOCS=1` rewrites it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import type { FastifyInstance } from 'fastify';
import type { AppConfig, Auth0Config } from '../src/config.js';
import { CASE_NAMES, TABLE_END, tableBegin, renderOutcomes, tableCells } from '../src/outcomes.js';
import type { CaseName, PeerOutcomes } from '../src/outcomes.js';
import { OUTCOMES } from '../src/outcomes-data.js';
import { buildApp as expressJwtBefore } from '../src/express-jwt/before.js';
import { buildApp as expressJwtAfter } from '../src/express-jwt/after.js';
import { buildApp as auth0ExpressBefore } from '../src/express-oauth2-jwt-bearer/before.js';
import { buildApp as auth0ExpressAfter } from '../src/express-oauth2-jwt-bearer/after.js';
import { buildApp as fastifyJwtBefore } from '../src/fastify-jwt/before.js';
import { buildApp as fastifyJwtAfter } from '../src/fastify-jwt/after.js';
import { buildApp as fastifyAuth0Before } from '../src/fastify-auth0-verify/before.js';
import { buildApp as fastifyAuth0After } from '../src/fastify-auth0-verify/after.js';
import { buildApp as koaJwtBefore } from '../src/koa-jwt/before.js';
import { buildApp as koaJwtAfter } from '../src/koa-jwt/after.js';
import { auth0Layout } from './auth0-layout.js';
import { injectRunner, requestFor, supertestRunner } from './harness.js';
import type { Runner } from './harness.js';

const AUDIENCE = 'https://api.example.test';

/** Builds an app against `issuer` and wraps it in its framework's test entry point. */
type Build = (issuer: TestIssuer) => Promise<Runner>;

interface Peer {
  /** src/ folder and key in src/outcomes-data.ts. */
  id: string;
  /** Guide file name under docs/migrating/. */
  guide: string;
  /** How the guide's table names the peer. */
  name: string;
  before: Build;
  after: Build;
}

const config = (issuer: TestIssuer): AppConfig => ({
  issuer: issuer.issuer,
  jwksUri: issuer.jwksUri,
  audience: AUDIENCE,
});

/** A fastify-auth0-verify app (before or after) behind an Auth0-shaped key set URL. */
async function withAuth0Layout(
  issuer: TestIssuer,
  build: (config: Auth0Config) => Promise<FastifyInstance>,
): Promise<Runner> {
  const layout = await auth0Layout(issuer);
  const runner = injectRunner(
    await build({ domain: layout.domain, issuer: issuer.issuer, audience: AUDIENCE }),
  );
  return {
    send: (path, headers) => runner.send(path, headers),
    close: async () => {
      await runner.close();
      await layout.close();
    },
  };
}

const PEERS: readonly Peer[] = [
  {
    id: 'express-jwt',
    guide: 'express-jwt',
    name: 'express-jwt + jwks-rsa',
    before: async (i) => supertestRunner(expressJwtBefore(config(i))),
    after: async (i) => supertestRunner(expressJwtAfter(config(i))),
  },
  {
    id: 'express-oauth2-jwt-bearer',
    guide: 'express-oauth2-jwt-bearer',
    name: 'express-oauth2-jwt-bearer',
    before: async (i) => supertestRunner(auth0ExpressBefore(config(i))),
    after: async (i) => supertestRunner(auth0ExpressAfter(config(i))),
  },
  {
    id: 'fastify-jwt',
    guide: 'fastify-jwt',
    name: '@fastify/jwt + get-jwks',
    before: async (i) => injectRunner(await fastifyJwtBefore(config(i))),
    after: async (i) => injectRunner(await fastifyJwtAfter(config(i))),
  },
  {
    id: 'fastify-auth0-verify',
    guide: 'fastify-jwt',
    name: 'fastify-auth0-verify',
    before: (i) => withAuth0Layout(i, fastifyAuth0Before),
    after: (i) => withAuth0Layout(i, fastifyAuth0After),
  },
  {
    id: 'koa-jwt',
    guide: 'koa-jwt',
    name: 'koa-jwt + jwks-rsa',
    before: async (i) => supertestRunner(koaJwtBefore(config(i))),
    after: async (i) => supertestRunner(koaJwtAfter(config(i))),
  },
];

const REQUEST_CASES = CASE_NAMES.filter(
  (name): name is Exclude<CaseName, 'identity provider down'> => name !== 'identity provider down',
);

function outcomesOf(id: string): PeerOutcomes {
  const found = OUTCOMES.find((o) => o.id === id);
  if (!found) throw new Error(`no outcomes recorded for ${id}`);
  return found;
}

const GUIDES = ['express-jwt', 'express-oauth2-jwt-bearer', 'fastify-jwt', 'koa-jwt'] as const;
const ROOT = new URL('../../../', import.meta.url);
const FILE_MARKER = /<!-- file: (\S+) -->\n\n```ts\n([\s\S]*?)```/g;

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await createTestIssuer();
  // Koa logs the 503 of the outage row through app.on('error').
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
});

afterAll(async () => {
  await issuer.close();
  jest.restoreAllMocks();
});

it('records every request for every peer, before and after', () => {
  expect(OUTCOMES.map((o) => o.id)).toEqual(PEERS.map((p) => p.id));
  for (const o of OUTCOMES) {
    expect(Object.keys(o.before).sort()).toEqual([...CASE_NAMES].sort());
    expect(Object.keys(o.after).sort()).toEqual([...CASE_NAMES].sort());
  }
});

describe.each(PEERS)('$name', (peer) => {
  const expected = outcomesOf(peer.id);

  describe.each(['before', 'after'] as const)('%s', (side) => {
    let runner: Runner;

    beforeAll(async () => {
      runner = await peer[side](issuer);
    });
    afterAll(() => runner.close());

    it.each(REQUEST_CASES)('%s', async (name) => {
      const { path, headers } = await requestFor(name, issuer, AUDIENCE);
      expect(await runner.send(path, headers)).toEqual(expected[side][name]);
    });

    it('identity provider down', async () => {
      // An issuer of its own that answers 503 before the app has fetched anything. (Not a
      // refused connection: the error of Node's own `fetch` comes from outside Jest's sandbox,
      // and Fastify, inside it, would not recognise it as an Error: an artifact of the test.)
      const down = await createTestIssuer();
      const app = await peer[side](down);
      try {
        const token = await down.sign({ aud: AUDIENCE });
        await down.fail({ type: 'status', status: 503 });
        const res = await app.send('/me', { authorization: `Bearer ${token}` });
        expect(res).toEqual(expected[side]['identity provider down']);
      } finally {
        await app.close();
        await down.close();
      }
    });
  });

  it(`docs/migrating/${peer.guide}.md embeds the table of these outcomes`, () => {
    const file = new URL(`../../../docs/migrating/${peer.guide}.md`, import.meta.url);
    const doc = readFileSync(file, 'utf8');
    const marker = tableBegin(peer.id);
    const begin = doc.indexOf(marker);
    const end = doc.indexOf(TABLE_END, begin);
    expect(begin).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(begin);
    const table = renderOutcomes(expected, peer.name);
    if (process.env.UPDATE_MIGRATING_DOCS === '1') {
      const updated = `${doc.slice(0, begin)}${marker}\n\n${table}\n\n${doc.slice(end)}`;
      writeFileSync(file, updated);
      return;
    }
    expect(tableCells(doc.slice(begin, end))).toEqual(tableCells(table));
  });
});

describe.each(GUIDES)('docs/migrating/%s.md', (guide) => {
  const file = new URL(`docs/migrating/${guide}.md`, ROOT);

  it('shows the before and after apps exactly as they are in examples/migrating/src', () => {
    let doc = readFileSync(file, 'utf8');
    const shown = [...doc.matchAll(FILE_MARKER)];
    expect(shown.map(([, path]) => path)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/before\.ts$/),
        expect.stringMatching(/after\.ts$/),
      ]),
    );
    for (const [block, path, code] of shown) {
      const source = readFileSync(new URL(path!, ROOT), 'utf8');
      if (process.env.UPDATE_MIGRATING_DOCS === '1') {
        doc = doc.replace(block, () => `<!-- file: ${path} -->\n\n\`\`\`ts\n${source}\`\`\``);
      } else {
        expect(code).toBe(source);
      }
    }
    if (process.env.UPDATE_MIGRATING_DOCS === '1') writeFileSync(file, doc);
  });

  it('is linked from docs/migrating/README.md', () => {
    const index = readFileSync(new URL('docs/migrating/README.md', ROOT), 'utf8');
    expect(index).toContain(`](${guide}.md)`);
  });
});
