// The benchmark matrix (which app files exist, what they are) and the app launcher.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnTracked, stopChild } from './proc.js';

const APPS_DIR = fileURLToPath(new URL('../apps/', import.meta.url));

/**
 * kind: 'bare' (no auth), 'jwks-auth' (ours), 'peer', or 'floor' (bare app +
 * one crypto.verify per request; a reference measured in cold scenarios only).
 * dpop: true marks the apps measured in the DPoP scenario (and only there).
 */
export const FRAMEWORKS = {
  express: [
    { id: 'express-bare', kind: 'bare', label: 'Express (no auth)' },
    {
      id: 'express-jwks-auth',
      kind: 'jwks-auth',
      label: 'jwks-auth',
      package: '@jwks-auth/express',
    },
    { id: 'express-oauth2-jwt-bearer', kind: 'peer', label: 'express-oauth2-jwt-bearer' },
    { id: 'express-jwt', kind: 'peer', label: 'express-jwt + jwks-rsa' },
    { id: 'express-floor', kind: 'floor', label: 'floor: bare + crypto.verify' },
    {
      id: 'express-jwks-auth-dpop',
      kind: 'jwks-auth',
      label: 'jwks-auth, DPoP on',
      package: '@jwks-auth/express',
      dpop: true,
    },
    {
      id: 'express-oauth2-jwt-bearer-dpop',
      kind: 'peer',
      label: 'express-oauth2-jwt-bearer, DPoP on',
      dpop: true,
    },
  ],
  fastify: [
    { id: 'fastify-bare', kind: 'bare', label: 'Fastify (no auth)' },
    {
      id: 'fastify-jwks-auth',
      kind: 'jwks-auth',
      label: 'jwks-auth',
      package: '@jwks-auth/fastify',
    },
    { id: 'fastify-jwt', kind: 'peer', label: '@fastify/jwt + get-jwks' },
    { id: 'fastify-jwt-cache', kind: 'peer', label: '@fastify/jwt + get-jwks, cache on' },
    { id: 'fastify-floor', kind: 'floor', label: 'floor: bare + crypto.verify' },
  ],
  hono: [
    { id: 'hono-bare', kind: 'bare', label: 'Hono on Node (no auth)' },
    { id: 'hono-jwks-auth', kind: 'jwks-auth', label: 'jwks-auth', package: '@jwks-auth/hono' },
    { id: 'hono-jwk', kind: 'peer', label: 'hono/jwk (jwks_uri)' },
    { id: 'hono-floor', kind: 'floor', label: 'floor: bare + crypto.verify' },
  ],
  koa: [
    { id: 'koa-bare', kind: 'bare', label: 'Koa (no auth)' },
    { id: 'koa-jwks-auth', kind: 'jwks-auth', label: 'jwks-auth', package: '@jwks-auth/koa' },
    { id: 'koa-jwt', kind: 'peer', label: 'koa-jwt + jwks-rsa' },
    { id: 'koa-floor', kind: 'floor', label: 'floor: bare + crypto.verify' },
  ],
};

/** Whether a workspace package is built (its export entry exists). */
export function packageBuilt(name) {
  try {
    const url = import.meta.resolve(name);
    return existsSync(fileURLToPath(url));
  } catch {
    return false;
  }
}

export function appFile(id) {
  return `${APPS_DIR}${id}.js`;
}

/**
 * Starts an app pinned to `cpu`; resolves { id, port, pid, child, stop() }
 * once it printed {"port":N}. Rejects (with its stderr) if it exits or stays
 * silent for `timeoutMs`.
 */
export function startApp(id, env, { cpu = 0, timeoutMs = 20_000, nodeArgs = [] } = {}) {
  const child = spawnTracked(process.execPath, [...nodeArgs, appFile(id)], {
    cpu,
    env: { ...process.env, NODE_ENV: 'production', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr.setEncoding('utf8').on('data', (d) => {
    stderr += d;
    if (stderr.length > 20_000) stderr = stderr.slice(-20_000);
  });
  return new Promise((resolve, reject) => {
    const fail = (why) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(
        new Error(
          `app ${id} ${why}\n--- stderr ---\n${stderr.trim()}\n--- stdout ---\n${stdout.trim()}`,
        ),
      );
    };
    const timer = setTimeout(() => fail(`printed no port within ${timeoutMs} ms`), timeoutMs);
    child.once('exit', (code, signal) => fail(`exited early (code ${code}, signal ${signal})`));
    child.stdout.setEncoding('utf8').on('data', function onData(d) {
      stdout += d;
      const line = stdout.split('\n').find((l) => l.startsWith('{"port"'));
      if (!line) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      child.stdout.off('data', onData);
      child.stdout.resume();
      const { port } = JSON.parse(line);
      resolve({
        id,
        port,
        pid: child.pid,
        pinned: child.pinned,
        child,
        stderr: () => stderr,
        stop: () => {
          child.stdin.end();
          return stopChild(child);
        },
      });
    });
  });
}
