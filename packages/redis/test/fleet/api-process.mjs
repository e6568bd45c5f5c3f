/**
 * One API process of the fleet test: Express with jwks-auth, DPoP replay
 * checks, the shared key set store and the revocation list on one Redis.
 * Configured by environment; prints `ready <port>` when listening. Routes:
 * `/orders` (DPoP, replay store, revocation list), `/profile` (Bearer, key
 * verification only), `POST /admin/revoke?jti=&exp=` (the revocation list's
 * revoke) and `/admin/fetches` (key set fetches `/orders` made here).
 */
import { createServer } from 'node:http';
import { jwksAuth } from '@jwks-auth/express';
import { redisKeySetStore, redisReplayStore, redisRevocationList } from '@jwks-auth/redis';
import express from 'express';
import { Redis } from 'ioredis';

const { ISSUER, REDIS_PORT, ORIGIN, SHARED_KEYS } = process.env;
const redis = new Redis(Number(REDIS_PORT), '127.0.0.1', { retryStrategy: () => 100 });
redis.on('error', () => undefined);

let fetches = 0;
const revocations = redisRevocationList(redis, { timeout: 300 });
const app = express();
const auth = jwksAuth({
  issuer: ISSUER,
  audience: 'https://api.example.test',
  isRevoked: revocations,
  dpop: { origin: ORIGIN, replay: redisReplayStore(redis, { timeout: 300 }) },
  jwks: {
    cooldownDuration: 100,
    ...(SHARED_KEYS === '1' ? { store: redisKeySetStore(redis, { timeout: 300 }) } : {}),
  },
  onEvent: (event) => {
    if (event.type === 'jwks_fetch') fetches += 1;
  },
});
// Bearer tokens, no DPoP and no revocation list: only key verification (with the shared key sets).
const keysOnly = jwksAuth({
  issuer: ISSUER,
  audience: 'https://api.example.test',
  jwks: {
    cooldownDuration: 100,
    ...(SHARED_KEYS === '1' ? { store: redisKeySetStore(redis, { timeout: 300 }) } : {}),
  },
});
app.get('/profile', keysOnly, (req, res) => res.json({ sub: req.auth?.payload.sub }));
app.get('/admin/fetches', (_req, res) => res.json({ fetches }));
app.post('/admin/revoke', async (req, res) => {
  try {
    await revocations.revoke(String(req.query.jti), Number(req.query.exp));
    res.json({ ok: true });
  } catch {
    res.status(503).json({ ok: false });
  }
});
app.use(auth);
app.get('/orders', (req, res) => res.json({ pid: process.pid, sub: req.auth?.payload.sub }));

const server = createServer(app);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`ready ${server.address().port}\n`);
});
process.on('SIGTERM', () => {
  auth.verifier.close();
  keysOnly.verifier.close();
  redis.disconnect();
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
